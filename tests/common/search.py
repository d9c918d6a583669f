"""The app's Whoosh index for functional tests (the API's and the search pages')."""

from __future__ import annotations

from typing import Any

import pytest
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
