"""Records planted once per module, with clients signed in, for the pages the corpus is fed to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.common import access
from tests.functional.badinput.found import FoundForm, find_forms


@pytest.fixture(scope="module")
def planting(
    engine: Engine, wsgi_app: Any, app_settings: dict[str, Any]
) -> Iterator[access.Planting]:
    from registry.search.documents import all_documents
    from registry.search.whoosh_backend import WhooshSearchService

    planting = access.Planting(engine, wsgi_app, roles=("anonymous", "admin"))
    try:
        # The search form needs an index (without one, search answers 503 by design).
        index = WhooshSearchService(app_settings["registry.index_dir"])
        index.rebuild(all_documents(planting.db, expunge=False))
        yield planting
    finally:
        planting.close()


@pytest.fixture(scope="module")
def forms(planting: access.Planting) -> list[FoundForm]:
    return find_forms(planting)
