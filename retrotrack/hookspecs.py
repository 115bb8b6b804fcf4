"""The plugin contract: how a package adds a file format to retrotrack.

A plugin is a module (or object) with a `retrotrack_register_readers` hook
implementation, registered through the setuptools entry-point group
"retrotrack" (the built-in FIT and GPX readers register the same way):

    [options.entry_points]
    retrotrack =
        tcx = retrotrack_tcx

Each reader it returns follows `Reader`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pluggy

from retrotrack.model import Activity

PROJECT = "retrotrack"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@runtime_checkable
class Reader(Protocol):
    """Reads one file format into an Activity."""

    name: str
    """Short format name, written to the analysis as `format` (e.g. "fit")."""
    suffixes: tuple[str, ...]
    """File name endings it reads, lower case with the dot (".fit"); ".gz" is handled for it."""

    def sniff(self, head: bytes) -> bool:
        """Whether the first bytes of a file (at most 4 KiB, decompressed) are this format."""

    def read(self, data: bytes, name: str) -> Activity:
        """Decode a whole file (`name` for messages); raise retrotrack.errors.ReadError if unusable."""


@hookspec
def retrotrack_register_readers() -> list[Reader]:
    """Readers this plugin provides."""
