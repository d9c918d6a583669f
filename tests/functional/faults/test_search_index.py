"""A lost or corrupt search index loses no data: the records stay on every other page, search
says clearly that it is being rebuilt, and `registry reindex` restores it (issue 9, faults)."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest

from registry.search import whoosh_backend
from tests.common.cli import run_cli
from tests.functional.faults.conftest import SUPPLIER, App

DAMAGE = ["lost", "corrupt"]


def _found(app: App) -> bool:
    page = app.get("/search", params={"q": "outage"})
    return SUPPLIER in page.html.find("main").text


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_index_loses_no_data_and_reindex_restores_it(app: App, damage: str) -> None:
    assert run_cli(app.ini, "reindex").exit_code == 0
    assert _found(app)

    index = Path(app.app.registry.settings["registry.index_dir"])
    if damage == "lost":
        shutil.rmtree(index)
    else:
        for toc in index.glob("*.toc"):
            toc.write_bytes(b"\x00garbage")
        # A searcher already open keeps serving the segments it holds; a server starting
        # afresh (or another thread) opens the corrupt index, as here.
        whoosh_backend._open_searchers.__dict__.clear()
    page = app.get("/search", params={"q": "outage"}, status=503)
    assert "Search is being rebuilt" in page.text and "No data has been lost" in page.text
    assert "Traceback" not in page.text
    assert SUPPLIER in app.get("/suppliers").text  # the records are all still there

    result = run_cli(app.ini, "reindex")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Indexed 1 records")
    assert _found(app)
    gc.collect()  # close what Whoosh left open while this test's warning filters apply
