"""Outputs are replaced whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrotrack.atomic import write_atomic
from retrotrack.errors import RetrotrackError


def test_writes_and_replaces_without_leaving_temporaries(tmp_path):
    target = tmp_path / "sub" / "results.json"
    write_atomic(target, "first")
    write_atomic(target, "second é")
    assert target.read_text(encoding="utf-8") == "second é"
    assert os.listdir(target.parent) == ["results.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "index.html"
    write_atomic(target, "old page")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(RetrotrackError, match="disk full"):
        write_atomic(target, "new page")
    assert target.read_text() == "old page"
    assert os.listdir(tmp_path) == ["index.html"]


def test_a_folder_or_a_path_under_a_file_is_a_clear_error(tmp_path):
    with pytest.raises(RetrotrackError, match="is a folder"):
        write_atomic(tmp_path, "x")
    (tmp_path / "plain").write_text("x")
    with pytest.raises(RetrotrackError, match="cannot write"):
        write_atomic(tmp_path / "plain" / "out.json", "x")


def test_a_device_is_written_to_not_replaced():
    write_atomic("/dev/null", "nothing to see")
    assert Path("/dev/null").is_char_device()
