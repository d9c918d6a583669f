"""A bounded load test on loopback (issue 9): 32 concurrent clients mixing reads and writes
against the real app served by waitress, for REGISTRY_LOAD_SECONDS (60 by default). It ends with
no error, every write in the database once, and the audit chain intact."""

from __future__ import annotations

import collections
import dataclasses
import http.cookiejar
import json
import os
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.services import DatabaseUserService
from registry.api.tokens import issue_token
from registry.config import configure
from registry.contracts.models import Contract
from tests.common.cli import run_cli, write_ini
from tests.common.db import base as factories
from tests.common.db.core import BuyerFactory, ContractFactory, LotFactory, SupplierFactory
from tests.common.live import LiveServer
from tests.conftest import TEST_PASSWORD

CLIENTS = 32
SECONDS = float(os.environ.get("REGISTRY_LOAD_SECONDS", "60"))
OFFICER = "load-officer@example.org"
READS = [
    "/",
    "/suppliers",
    "/suppliers?page=2",
    "/contracts",
    "/frameworks",
    "/buyers",
    "/markets",
    "/flags",
    "/assessments",
    "/data",
    "/data/suppliers.csv",
    "/api/v1/suppliers",
    "/api/v1/frameworks",
    "/api/v1/markets",
    "/search?q=supplier",
]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclasses.dataclass
class Plant:
    url: str
    token: str
    suppliers: list[str]
    supplier_ids: list[int]
    contracts_before: int


@pytest.fixture(scope="module")
def plant(database_factory: Any) -> Plant:
    url = database_factory.fresh()
    engine = sa.create_engine(url)
    try:
        with Session(engine) as db:
            factories.bind(db)
            lot = LotFactory()
            buyer = BuyerFactory()
            suppliers = [SupplierFactory() for _ in range(30)]
            for i, s in enumerate(suppliers):
                ContractFactory(buyer=buyer, supplier=s, lot=lot if i % 2 else None)
            officer = DatabaseUserService(db).create_user(
                OFFICER, TEST_PASSWORD, "officer", buyer_id=buyer.id
            )
            _, token = issue_token(db, user=officer, name="load test", actor=None)
            db.commit()
            return Plant(
                url=url,
                token=token,
                suppliers=[s.companies_house_number or s.name for s in suppliers],
                supplier_ids=[s.id for s in suppliers],
                contracts_before=db.scalar(sa.select(sa.func.count()).select_from(Contract)) or 0,
            )
    finally:
        factories.bind(None)
        engine.dispose()


@pytest.fixture(scope="module")
def server(
    plant: Plant, app_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    ini = write_ini(tmp_path_factory.mktemp("load"), plant.url)
    settings = {
        **app_settings,
        "sqlalchemy.url": plant.url,
        "registry.index_dir": str(ini.parent / "index"),
    }
    with pytest.MonkeyPatch.context() as env:
        env.delenv("REGISTRY_DATABASE_URL", raising=False)
        env.delenv("REGISTRY_INDEX_DIR", raising=False)
        assert run_cli(ini, "reindex").exit_code == 0  # writes keep the index in step
        config = configure(settings)
    with LiveServer(config.make_wsgi_app(), settings, threads=8) as live:
        yield live
    config.registry["sqlalchemy.engine"].dispose()


class Client:
    """One simulated user with its own cookies; every answer it gets is counted."""

    def __init__(self, base: str, plant: Plant, seed: int) -> None:
        self.base = base
        self.plant = plant
        self.random = random.Random(seed)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.statuses: collections.Counter[str] = collections.Counter()
        self.errors: list[str] = []
        self.written: list[str] = []
        self.signed_in = False

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        req = urllib.request.Request(  # noqa: S310 (the loopback server's http:// only)
            self.base + path, data=data, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(req, timeout=60) as response:
                status, body = response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode("utf-8", "replace")
            exc.close()
        except OSError as exc:  # refused, reset, timed out: the server failed to answer
            self.errors.append(f"{method} {path}: {exc!r}")
            return 0, ""
        self.statuses[f"{method} {status}"] += 1
        return status, body

    def expect(self, wanted: int, method: str, path: str, **kw: Any) -> str:
        status, body = self.request(method, path, **kw)
        if status and status != wanted:
            self.errors.append(f"{method} {path}: {status} (wanted {wanted}) {body[:200]!r}")
        return body

    def read(self) -> None:
        path = self.random.choice(READS)
        if path == "/suppliers":
            path = f"/suppliers/{self.random.choice(self.plant.supplier_ids)}"
        self.expect(200, "GET", path)

    def api_write(self) -> None:
        title = f"Load API contract {self.random.getrandbits(48):x}"
        body = {
            "title": title,
            "supplier": self.random.choice(self.plant.suppliers),
            "value_amount": self.random.randint(1000, 900_000),
            "currency": "GBP",
            "award_date": "2025-04-01",
            "publish": self.random.random() < 0.5,
        }
        self.expect(
            201,
            "POST",
            "/api/v1/contracts",
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.plant.token}",
                "Content-Type": "application/json",
            },
        )
        self.written.append(title)

    def form_write(self) -> None:
        if not self.signed_in:
            page = self.expect(200, "GET", "/login")
            fields = {"csrf_token": _csrf(page), "email": OFFICER, "password": TEST_PASSWORD}
            body = self.expect(200, "POST", "/login", data=urllib.parse.urlencode(fields).encode())
            self.signed_in = f"Signed in as {OFFICER}" in body
            if not self.signed_in:
                return
        page = self.expect(200, "GET", "/contracts/new")
        title = f"Load form contract {self.random.getrandbits(48):x}"
        fields = {
            "csrf_token": _csrf(page),
            "title": title,
            "supplier": self.random.choice(self.plant.suppliers),
            "value_amount": str(self.random.randint(1000, 900_000)),
            "currency": "GBP",
            "award_date": "2025-05-01",
        }
        # Followed to the new contract's page: a 200 there means it was saved.
        body = self.expect(
            200, "POST", "/contracts/new", data=urllib.parse.urlencode(fields).encode()
        )
        if title in body:
            self.written.append(title)
        else:
            self.errors.append(f"POST /contracts/new: {title} not shown after saving")

    def run(self, until: float) -> None:
        actions: list[tuple[float, Callable[[], None]]] = [
            (0.75, self.read),
            (0.15, self.api_write),
            (0.10, self.form_write),
        ]
        while time.monotonic() < until:
            pick, total = self.random.random(), 0.0
            for weight, action in actions:
                total += weight
                if pick < total:
                    action()
                    break


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    return found.group(1) if found else ""


def test_32_clients_mixing_reads_and_writes_get_no_errors(
    server: LiveServer, plant: Plant, tmp_path: Path
) -> None:
    clients = [Client(server.url, plant, seed) for seed in range(CLIENTS)]
    until = time.monotonic() + SECONDS
    threads = [threading.Thread(target=c.run, args=(until,)) for c in clients]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 120)
    elapsed = time.monotonic() - started
    assert not any(t.is_alive() for t in threads), "a client never finished"

    statuses = sum((c.statuses for c in clients), collections.Counter())
    errors = [e for c in clients for e in c.errors]
    written = [title for c in clients for title in c.written]
    requests = sum(statuses.values())
    print(
        f"\n{CLIENTS} clients, {elapsed:.0f}s: {requests} requests "
        f"({requests / elapsed:.0f}/s), {len(written)} contracts written; {dict(statuses)}"
    )
    assert errors == [], f"{len(errors)} errors, the first:\n" + "\n".join(errors[:10])
    # Both kinds of write happened (how many depends on the machine's speed).
    assert statuses["POST 201"] > 0 and any(t.startswith("Load form") for t in written)

    # Every write is in the database, once.
    engine = sa.create_engine(plant.url)
    try:
        with engine.connect() as conn:
            titles = (
                conn.execute(
                    sa.select(Contract.title).where(Contract.title.like("Load % contract %"))
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert sorted(titles) == sorted(written)

    with pytest.MonkeyPatch.context() as env:
        env.delenv("REGISTRY_DATABASE_URL", raising=False)
        verify = run_cli(write_ini(tmp_path, plant.url), "audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert "intact" in verify.output
