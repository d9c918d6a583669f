"""Fixtures the open data tests share."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.opendata.snapshots import snapshots_root


@pytest.fixture
def root(app_settings: dict[str, Any]) -> Iterator[Path]:
    # The app's own snapshot root (under its var directory), emptied after the test.
    path = snapshots_root(app_settings)
    yield path
    shutil.rmtree(path, ignore_errors=True)
