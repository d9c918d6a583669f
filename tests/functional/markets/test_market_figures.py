"""Stored market figures: worked out for every market at once by `registry detect`, read by the
market page with when and by which method they were computed; live figures until then."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.contracts.datause import data_use_in
from registry.flags.incremental import refresh_markets
from registry.markets.figures import (
    METHOD_VERSION,
    group_page,
    refresh_market_figures,
    stored_market,
)
from registry.markets.models import MarketFigures, MarketGroupFigures, MarketYearFigures
from registry.markets.services import MarketKey, get_market, market_condition
from tests.common.cli import run_cli, write_ini
from tests.common.db.core import ContractFactory, LotFactory, SupplierFactory
from tests.common.db.flags import market

DEPTH = 5


def _close(got: float, want: float) -> bool:
    return got == pytest.approx(want, rel=1e-9, abs=1e-9)


def assert_same_as_live(db: Session, key: MarketKey) -> None:
    stored = stored_market(db, key, DEPTH)
    live = get_market(db, key, DEPTH)
    assert stored is not None and live is not None, key
    got, (want, want_years) = stored.market, live
    assert (got.label, got.framework_id) == (want.label, want.framework_id)
    assert got.currency == want.currency == stored.use.currency, key
    assert (got.contracts, got.valued_contracts, got.group_count) == (
        want.contracts,
        want.valued_contracts,
        len(want.groups),
    )
    for basis in ("by_buyers", "by_value"):
        a, b = getattr(got, basis), getattr(want, basis)
        assert a.participants == b.participants, (key, basis)
        for figure in ("total", "hhi", "cr1", "cr2", "cr4"):
            assert _close(getattr(a, figure), getattr(b, figure)), (key, basis, figure)
        assert [s.key for s in a.shares] == [s.key for s in b.shares[: len(a.shares)]]
        assert len(a.shares) == min(12, len(b.shares))
        assert all(_close(s.share, t.share) for s, t in zip(a.shares, b.shares, strict=False))
    page = group_page(db, stored, 1)
    assert [(g.group_id, g.name, g.buyers, g.contracts) for g in page.items] == [
        (g.group_id, g.name, g.buyers, g.contracts) for g in want.groups[:25]
    ]
    assert all(
        _close(g.value_share, h.value_share) and _close(g.buyer_share, h.buyer_share)
        for g, h in zip(page.items, want.groups, strict=False)
    )
    assert [p.year for p in stored.years] == [p.year for p in want_years]
    for p, q in zip(stored.years, want_years, strict=True):
        assert p.contracts == q.contracts and p.valued_contracts == q.valued_contracts
        for basis in ("by_buyers", "by_value"):
            a, b = getattr(p, basis), getattr(q, basis)
            assert a.participants == b.participants
            assert all(_close(getattr(a, f), getattr(b, f)) for f in ("hhi", "cr1", "cr2", "cr4"))
    use = data_use_in(db, want.currency, market_condition(key, DEPTH))
    assert dataclass_tuple(stored.use)[:2] == dataclass_tuple(use)[:2]
    assert dataclass_tuple(stored.use)[3:] == dataclass_tuple(use)[3:]
    assert _close(float(stored.use.value), float(use.value))


def dataclass_tuple(use: Any) -> tuple[Any, ...]:
    return (
        use.contracts,
        use.valued,
        use.value,
        use.no_value,
        use.other_currency,
        use.ceiling_only,
    )


def test_stored_figures_equal_the_live_computation_on_the_seed(
    seeded_db_session: Session,
) -> None:
    stored = refresh_market_figures(seeded_db_session, DEPTH)
    keys = list(seeded_db_session.execute(sa.select(MarketFigures.market_key)).scalars())
    assert stored == len(keys) and "cpv-48814" in keys and any(k.startswith("lot-") for k in keys)
    buyer_wide = sorted(k for k in keys if k.startswith("buyer-"))
    assert buyer_wide  # every buyer with a published contract has one
    # Every market of what is bought, and a sample of the buyer-wide ones (one per buyer).
    for key in [k for k in keys if not k.startswith("buyer-")] + buyer_wide[:8]:
        parsed = MarketKey.parse(key)
        assert parsed is not None
        assert_same_as_live(seeded_db_session, parsed)
    gpsoc = stored_market(seeded_db_session, MarketKey("cpv", "48814"), DEPTH)
    assert gpsoc is not None and round(gpsoc.market.by_buyers.hhi) == 4375
    assert gpsoc.method_version == METHOD_VERSION


def _stored(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored market figure but when it was computed, floats to 9 significant digits (a
    sum of floats on SQLite depends on the order the contracts are read in)."""

    def rows(model: Any) -> list[tuple[Any, ...]]:
        columns = [c for c in model.__table__.columns if c.name != "computed_at"]
        return sorted(
            tuple(f"{v:.9g}" if isinstance(v, float) else v for v in row)
            for row in db.execute(sa.select(*columns))
        )

    return {
        m.__tablename__: rows(m) for m in (MarketFigures, MarketGroupFigures, MarketYearFigures)
    }


def test_figures_from_the_run_contracts_equal_those_from_the_contracts(
    seeded_db_session: Session,
) -> None:
    """`registry detect` stores every market's figures from the published contracts staged once
    (refresh_markets): the same figures as joining contracts and suppliers per kind."""
    db = seeded_db_session
    lot = LotFactory()
    valued = [("10.00", "GBP", None), ("30.00", "EUR", None)]
    for amount, currency, ceiling in [*valued, (None, "GBP", "900.00"), (None, "GBP", None)]:
        ContractFactory(
            lot=lot,
            value_amount=amount and Decimal(amount),
            currency=currency,
            ceiling_amount=ceiling and Decimal(ceiling),
        )
    from_contracts = refresh_market_figures(db, DEPTH)
    want = _stored(db)
    assert refresh_markets(db, DEPTH, None) == from_contracts
    got = _stored(db)
    assert got == want
    lot_rows = [r for r in got["market_figures"] if r[0] == f"lot-{lot.id}"]
    assert len(lot_rows) == 1  # with its no-value, other-currency and ceiling-only counts
    assert lot_rows[0][-5:-2] == (2, 1, 1)


def test_stored_figures_equal_the_live_ones_with_ties_currencies_and_lots(
    db_session: Session,
) -> None:
    market({"EMIS": 56, "TPP": 34, "Vision": 9, "Microtest": 1, "Tiny": 1, "Other": 2})
    market({f"G{n:02}": 3 for n in range(15)}, cpv="72200000", award_date=None)
    market({"Alpha": 5, "Beta": 5, "Gamma": 5}, cpv="72300000", value=None)
    lot = LotFactory()
    supplier = SupplierFactory()
    for amount, currency in (("10.00", "GBP"), ("30.00", "EUR"), ("60.00", "GBP")):
        supplier_contract = ContractFactory(
            lot=lot,
            supplier=supplier,
            value_amount=Decimal(amount),
            currency=currency,
            award_date=datetime.date(2020, 1, 1),
        )
    ContractFactory(lot=lot, value_amount=None, ceiling_amount=Decimal(900))
    refresh_market_figures(db_session, DEPTH)
    keys = set(db_session.execute(sa.select(MarketFigures.market_key)).scalars())
    assert len({k for k in keys if not k.startswith("buyer-")}) == 5  # four CPV, the lot
    assert f"buyer-{supplier_contract.buyer_id}" in keys
    for key in ("cpv-48814", "cpv-72200", "cpv-72300", f"lot-{lot.id}"):
        parsed = MarketKey.parse(key)
        assert parsed is not None
        assert_same_as_live(db_session, parsed)


def test_market_page_shows_the_stored_figures_and_when_they_were_computed(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    groups = market({"EMIS": 6, "TPP": 4})
    refresh_market_figures(db_session, DEPTH)
    computed_at = db_session.get(MarketFigures, "cpv-48814").computed_at  # type: ignore[union-attr]
    # A contract added since: the page keeps the stored figures until detection runs again.
    ContractFactory(supplier=SupplierFactory(group=groups["TPP"]), cpv_code="48814000")
    page = webtest_app.get("/markets/cpv-48814")
    computed = " ".join(page.html.select_one("#figures-computed").text.split())
    assert f"method version {METHOD_VERSION}" in computed
    assert computed_at.strftime("%Y") in computed and "registry detect" in computed
    summary = " ".join(page.html.select_one(".govuk-summary-list").text.split())
    assert "Published contracts 10 " in summary and "HHI 5,200" in summary
    leader = page.html.select_one("#group-shares tbody tr")
    assert leader.find("th").text == "EMIS" and "60.0%" in leader.text

    refresh_market_figures(db_session, DEPTH)
    again = " ".join(
        webtest_app.get("/markets/cpv-48814").html.select_one(".govuk-summary-list").text.split()
    )
    assert "Published contracts 11 " in again and "HHI 5,041" in again  # 6/11 and 5/11


def test_market_page_works_figures_out_live_without_stored_ones(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    market({"EMIS": 6, "TPP": 4})
    refresh_market_figures(db_session, DEPTH)
    market({"Alpha": 3, "Beta": 1}, cpv="72200000")  # imported after detection ran
    page = webtest_app.get("/markets/cpv-72200")
    computed = " ".join(page.html.select_one("#figures-computed").text.split())
    assert "detection has not yet stored this market's figures" in computed
    summary = " ".join(page.html.select_one(".govuk-summary-list").text.split())
    assert "Published contracts 4 " in summary and "HHI 6,250" in summary  # 75% and 25%
    webtest_app.get("/markets/cpv-99999", status=404)


def test_detect_stores_every_markets_figures(database_factory: Any, tmp_path: Path) -> None:
    url = database_factory.seeded()
    result = run_cli(write_ini(tmp_path, url), "detect")
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            count, version = connection.execute(
                sa.select(sa.func.count(), sa.func.max(MarketFigures.method_version))
            ).one()
    finally:
        engine.dispose()
    assert count > 1 and version == METHOD_VERSION
    # The run says what it stored, as it says what each detector did.
    assert f"Market figures stored for {count:,} markets" in result.output
