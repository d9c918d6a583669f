from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import webtest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.db import create_engine
from tests.common.search import IndexHelper, search_index

__all__ = ["IndexHelper", "search_index"]


@pytest.fixture(scope="module")
def seeded_index(seeded_engine: Engine, app_settings: dict[str, Any]) -> None:
    """The app's index, built once per module from the seeded database: its tests only read."""
    with Session(seeded_engine) as db:
        IndexHelper(app_settings, db).rebuild()


@pytest.fixture
def seeded_search(seeded_index: None, seeded_webtest_app: webtest.TestApp) -> webtest.TestApp:
    return seeded_webtest_app


@pytest.fixture
def migrated_engine(database_factory: Any) -> Iterator[tuple[str, Engine]]:
    """A fresh, migrated database of its own (url, engine): for tests that downgrade it."""
    url = database_factory.fresh()
    engine = create_engine(url)
    yield url, engine
    engine.dispose()
