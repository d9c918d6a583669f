"""Browser journeys: the real app served by waitress on a loopback port, driven through
Playwright in Debian's chromium, with axe-core checking every page visited."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry import PROJECT_ROOT
from registry.config import configure
from tests.common.live import LiveServer

CHROMIUM = Path(os.environ.get("REGISTRY_CHROMIUM", "/usr/bin/chromium"))
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Without these, chromium reaches for Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(
            f"browser tests need {CHROMIUM}: .ci/run installs Debian's chromium"
        )
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_database_url(database_factory: Any) -> str:
    """A database of its own: the server commits for real, outside any test transaction."""
    return database_factory.fresh()


@pytest.fixture(scope="session")
def live_server(
    live_database_url: str, app_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    settings = dict(app_settings)
    settings["sqlalchemy.url"] = live_database_url
    settings["registry.index_dir"] = str(tmp_path_factory.mktemp("live-index"))
    # The environment would win over these settings (on PostgreSQL runs it names the bare
    # server database): the live server must use its own migrated one.
    with pytest.MonkeyPatch.context() as env:
        env.delenv("REGISTRY_DATABASE_URL", raising=False)
        env.delenv("REGISTRY_INDEX_DIR", raising=False)
        config = configure(settings)
    with LiveServer(config.make_wsgi_app(), settings) as server:
        yield server
    config.registry["sqlalchemy.engine"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    # bypass_csp lets the test inject axe-core; the app's own pages run under its real CSP.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def assert_accessible(page: Any) -> None:
    """axe-core finds no serious or critical violation on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"accessibility violations on {page.url}:\n" + "\n".join(serious)


def follow(page: Any, target: Any) -> None:
    """Click a link or submit button and wait for the page it leads to: reading the page while
    the browser is still between the two documents finds nothing (or the old one)."""
    with page.expect_navigation(wait_until="load"):
        target.click()
