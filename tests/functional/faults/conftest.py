"""Faults: the real app on a database of its own, with real connections (not the test's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import webtest
from sqlalchemy.orm import Session

from registry.config import configure
from registry.suppliers.models import Supplier, SupplierGroup
from tests.common.cli import write_ini

SUPPLIER = "Outage Test Ltd"


class App(webtest.TestApp):
    ini: Path


@pytest.fixture
def app(
    database_factory: Any,
    app_settings: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[App]:
    """The app on a fresh database holding one committed supplier; `app.ini` runs the CLI on the
    same database and search index."""
    url = database_factory.fresh()
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)  # it would win over the setting
    ini = write_ini(tmp_path, url)
    config = configure(
        {**app_settings, "sqlalchemy.url": url, "registry.index_dir": str(tmp_path / "index")}
    )
    engine = config.registry["sqlalchemy.engine"]
    with Session(engine) as db, db.begin():
        group = SupplierGroup(name=SUPPLIER)
        db.add(Supplier(name=group.name, normalised_name="outage test", group=group))
    app = App(config.make_wsgi_app())
    app.ini = ini
    try:
        yield app
    finally:
        engine.dispose()
