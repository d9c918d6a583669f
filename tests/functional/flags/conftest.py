"""What the incremental detection tests share: a fresh registry, its ini file and engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.db import create_engine
from tests.common.cli import write_ini


@pytest.fixture
def registry(database_factory: Any, tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    url = database_factory.fresh()
    engine = create_engine(url)
    try:
        yield write_ini(tmp_path, url), engine
    finally:
        engine.dispose()
