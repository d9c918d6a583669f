"""`registry init` and `registry reindex` build the index; the backend setting is checked at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyramid.exceptions import ConfigurationError
from sqlalchemy.orm import Session

from registry.config import configure
from registry.db import create_engine
from registry.search.interfaces import ISearchService
from registry.search.services import SETTING, NullSearchService, backend_class
from registry.search.whoosh_backend import WhooshSearchService
from tests.common.cli import run_cli, write_ini


def test_init_creates_the_index_and_commands_keep_it_in_step(
    database_factory: Any, tmp_path: Path
) -> None:
    from registry.suppliers.models import Supplier, SupplierGroup

    url = database_factory.fresh()
    ini = write_ini(tmp_path, url)
    index = WhooshSearchService(tmp_path / "index")
    assert index.check() is not None
    result = run_cli(ini, "init")
    assert result.exit_code == 0, result.output
    assert "Built the whoosh search index: 0 records" in result.output
    assert index.check() is None
    again = run_cli(ini, "init")
    assert "search index is ready" in again.output

    # Data written outside the CLI's sessions is found once `registry reindex` has run.
    engine = create_engine(url)
    try:
        with Session(engine) as db, db.begin():
            group = SupplierGroup(name="Microtest")
            db.add(Supplier(name="Microtest Ltd", normalised_name="microtest", group=group))
    finally:
        engine.dispose()
    assert index.search("Microtest").total == 0
    result = run_cli(ini, "reindex")
    assert result.exit_code == 0, result.output
    assert "Indexed 1 records with the whoosh backend" in result.output
    assert index.search("Microtest").total == 1


def test_init_rebuilds_an_index_built_with_other_fields(
    database_factory: Any, tmp_path: Path
) -> None:
    """An index an older version built (here, without the `sells` field) cannot take today's
    documents: `registry init` rebuilds it from the database instead of writing into it."""
    from whoosh import index as whoosh_index

    from registry.search.whoosh_backend import make_schema

    url = database_factory.fresh()
    ini = write_ini(tmp_path, url)
    assert run_cli(ini, "init").exit_code == 0
    older = make_schema()
    older.remove("sells")
    whoosh_index.create_in(str(tmp_path / "index"), older)
    index = WhooshSearchService(tmp_path / "index")
    assert index.check() is None and index.outdated()
    result = run_cli(ini, "init")
    assert result.exit_code == 0, result.output
    assert "Built the whoosh search index" in result.output
    assert not index.outdated()


def test_the_default_backend_is_whoosh() -> None:
    assert backend_class({"registry.index_dir": "var/index"}) is WhooshSearchService
    assert backend_class({SETTING: "null"}) is NullSearchService


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("elasticsearch", "is not a search backend"),
        ("registry.search.interfaces.Document", "does not implement ISearchService"),
        ("postgresql", "needs a PostgreSQL database"),
    ],
)
def test_a_bad_backend_setting_stops_start_up_naming_it(
    app_settings: dict[str, Any], value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)  # the settings' URL must count
    settings = {**app_settings, SETTING: value, "sqlalchemy.url": "sqlite:///:memory:"}
    with pytest.raises(ConfigurationError) as error:
        configure(settings)
    assert SETTING in str(error.value) and message in str(error.value)


def test_includeme_registers_the_configured_search_service(wsgi_app: Any) -> None:
    from pyramid.request import Request, apply_request_extensions

    request = Request.blank("/")
    request.registry = wsgi_app.registry
    apply_request_extensions(request)
    service = request.find_service(ISearchService, context=None)
    assert isinstance(service, WhooshSearchService)
    assert service.path == Path(wsgi_app.registry.settings["registry.index_dir"])
    request.db.close()
