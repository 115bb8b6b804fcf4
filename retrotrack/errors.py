"""The one error base class: every bad input becomes a RetrotrackError naming its file."""

from __future__ import annotations

from pathlib import Path


class RetrotrackError(Exception):
    """An input the user gave us is unusable. The CLI turns it into exit status 1."""

    def __init__(self, file: str | Path | None, problem: str):
        self.file = str(file) if file is not None else None
        self.problem = problem
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: `file: problem`."""
        text = f"{self.file}: {self.problem}" if self.file else self.problem
        return " ".join(text.split())


class ReadError(RetrotrackError):
    """A watch export that cannot be read at all."""


class ConfigError(RetrotrackError):
    """A mistake in a race config or entries file (the organiser's own input)."""
