from __future__ import annotations

from typing import Any

import pytest
import webtest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.search.documents import all_documents
from registry.search.whoosh_backend import WhooshSearchService


class IndexHelper:
    """The app's Whoosh index. Tests share one app, so each starts from an index of its own data."""

    def __init__(self, settings: dict[str, Any], db: Session) -> None:
        self.service = WhooshSearchService(settings["registry.index_dir"])
        self.path = self.service.path
        self.db = db

    def rebuild(self) -> int:
        return self.service.rebuild(all_documents(self.db, expunge=False))


@pytest.fixture
def search_index(app_settings: dict[str, Any], db_session: Session) -> IndexHelper:
    helper = IndexHelper(app_settings, db_session)
    helper.rebuild()
    return helper


@pytest.fixture(scope="module")
def seeded_index(seeded_engine: Engine, app_settings: dict[str, Any]) -> None:
    """The app's index, built once per module from the seeded database: its tests only read."""
    with Session(seeded_engine) as db:
        IndexHelper(app_settings, db).rebuild()


@pytest.fixture
def seeded_search(seeded_index: None, seeded_webtest_app: webtest.TestApp) -> webtest.TestApp:
    return seeded_webtest_app
