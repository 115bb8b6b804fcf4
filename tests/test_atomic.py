"""Outputs are replaced whole or not at all."""

from __future__ import annotations

import os

import pytest

from retrotrack.atomic import write_atomic


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
    with pytest.raises(OSError):
        write_atomic(target, "new page")
    assert target.read_text() == "old page"
    assert os.listdir(tmp_path) == ["index.html"]
