"""The published contracts of one detection run, in one narrow temporary table the detectors read."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from registry.buyers.models import Buyer, BuyerType
from registry.contracts.models import NON_COMPETITIVE_METHODS, Contract
from registry.contracts.queries import contract_year, gbp_value, public_contract
from registry.sql import CreateTempTableAs
from registry.suppliers.models import Supplier

# The published contracts of one detection run, with the columns the detectors group and filter
# on already worked out (market, group, year, value in pounds, competition, the buyer's kind):
# built once per run, so the detectors read one narrow table instead of each joining contracts,
# suppliers and buyers and recomputing the same expressions. Its rows are the public contracts.
RUN_CONTRACTS = sa.Table(
    "run_contracts",
    sa.MetaData(),
    sa.Column("id", sa.Integer),
    sa.Column("buyer_id", sa.Integer),
    sa.Column("group_id", sa.Integer),
    # The CPV market at the run's depth; null when the code is missing or shorter.
    sa.Column("cpv_market", sa.String),
    # The non-CPV classification market (registry.contracts.models.Classification), when no CPV.
    sa.Column("classification_id", sa.Integer),
    sa.Column("lot_id", sa.Integer),
    sa.Column("year", sa.Integer),  # contract_year()
    sa.Column("awarded", sa.Date),  # the award date, or the start date
    sa.Column("value", sa.Numeric(18, 2)),  # gbp_value()
    # The value in its own currency: shares are computed within one currency, never across.
    sa.Column("amount", sa.Numeric(18, 2)),
    sa.Column("currency", sa.String(3)),
    sa.Column("uncompeted", sa.Integer),  # 1: direct award or limited procedure
    sa.Column("uncompeted_or_single_bid", sa.Integer),  # ... or a single tenderer
    sa.Column("separate", sa.Integer),  # 1: the buyer buys for itself (not a national body)
    sa.Column("ceiling_only", sa.Integer),  # 1: no value, only a ceiling (the data-use counts)
    prefixes=["TEMPORARY"],
)


def create_run_contracts(
    db: Any, depth: int, only: sa.ColumnElement[bool] | None = None, name: str | None = None
) -> sa.Table:
    """Build RUN_CONTRACTS on the session's connection (replacing one left by an earlier run);
    or, given `only` (a condition on contracts) and `name`, a table of those contracts' rows
    alone, as a scoped detector reads them (`registry.flags.scope`)."""

    def flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.case((condition, 1), else_=0)

    method = Contract.procurement_method.in_(NON_COMPETITIVE_METHODS)
    select = (
        sa.select(
            Contract.id,
            Contract.buyer_id,
            Supplier.group_id,
            sa.case(
                (
                    sa.func.length(Contract.cpv_code) >= depth,
                    sa.func.substr(Contract.cpv_code, 1, depth),
                ),
                else_=sa.null(),
            ).label("cpv_market"),
            sa.case(
                (Contract.cpv_code.is_(None), Contract.classification_id), else_=sa.null()
            ).label("classification_id"),
            Contract.lot_id,
            contract_year().label("year"),
            sa.func.coalesce(Contract.award_date, Contract.start_date).label("awarded"),
            gbp_value().label("value"),
            Contract.value_amount.label("amount"),
            sa.case((Contract.value_amount.is_not(None), Contract.currency), else_=sa.null()).label(
                "currency"
            ),
            flag(method).label("uncompeted"),
            flag(sa.or_(method, Contract.number_of_tenderers == 1)).label(
                "uncompeted_or_single_bid"
            ),
            flag(Buyer.buyer_type.not_in((BuyerType.nhs_national,))).label("separate"),
            flag(
                sa.and_(Contract.value_amount.is_(None), Contract.ceiling_amount.is_not(None))
            ).label("ceiling_only"),
        )
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .join(Buyer, Buyer.id == Contract.buyer_id)
        .where(public_contract(), sa.true() if only is None else only)
    )
    table = RUN_CONTRACTS if name is None else RUN_CONTRACTS.to_metadata(sa.MetaData(), name=name)
    db.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
    db.execute(CreateTempTableAs(table.name, select))
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text(f"ANALYZE {table.name}"))
    return table


def drop_run_contracts(db: Any) -> None:
    db.execute(sa.text(f"DROP TABLE IF EXISTS {RUN_CONTRACTS.name}"))


def since_year(table: Any, year: int | None) -> sa.ColumnElement[bool]:
    """`since` on RUN_CONTRACTS: from `year` on, or undated."""
    if year is None:
        return sa.true()
    return sa.or_(table.c.year >= year, table.c.year.is_(None))
