"""retrotrack: analyse backward (retro) running from watch exports, time club races, publish results."""

__version__ = "0.1.0"
