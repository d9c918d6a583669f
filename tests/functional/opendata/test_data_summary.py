"""/data reads summary first (issue 18): what there is, then the downloads, the newest
snapshots only (the rest paged on /data/snapshots) and the dictionary folded away."""

from __future__ import annotations

from pathlib import Path

import webtest
from sqlalchemy.orm import Session

from registry.opendata.export import TABLES
from registry.opendata.snapshots import write_snapshot
from registry.opendata.views import SNAPSHOTS_SHOWN


def test_the_summary_comes_first_and_the_dictionary_is_folded(
    webtest_app: webtest.TestApp,
) -> None:
    page = webtest_app.get("/data")
    html = page.text
    assert (
        html.index('id="data-summary"') < html.index('id="tables"') < html.index('id="dictionary"')
    )
    summary = page.html.select_one("#data-summary").text
    assert f"{len(TABLES)} tables" in summary and "None yet" in summary
    folded = page.html.select("details[id^=dictionary-]")
    assert len(folded) == len(TABLES)
    assert all(d.get("open") is None for d in folded)


def test_only_the_newest_snapshots_are_on_the_page(
    webtest_app: webtest.TestApp, db_session: Session, root: Path
) -> None:
    made = [write_snapshot(db_session, root) for _ in range(SNAPSHOTS_SHOWN + 2)]
    page = webtest_app.get("/data")
    shown = [
        d for d in page.html.select("details") if d.summary.text.strip().startswith("Snapshot of")
    ]
    assert len(shown) == SNAPSHOTS_SHOWN
    assert page.html.select_one("#all-snapshots").text.startswith(f"All {len(made)} snapshots")
    everything = page.click(href="/data/snapshots$")
    assert len(everything.html.select("details.govuk-details")) == len(made)
    assert made[-1].name in everything.text and made[0].name in everything.text
