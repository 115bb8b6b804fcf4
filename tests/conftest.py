"""Shared test fixtures: where the real watch exports are, and a skip when they are not."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
REAL_DIR = REPO.parent / "shared" / "fixtures" / "real"

needs_real = pytest.mark.skipif(
    not REAL_DIR.is_dir(),
    reason="the real watch exports (../shared/fixtures/real) are only in CI and the developers' checkouts",
)


def real_file(name: str) -> Path:
    """Path of one real export (use with @needs_real)."""
    return REAL_DIR / name
