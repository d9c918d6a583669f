"""End of support: a buyer's live contracts depend on a product its vendor no longer supports,
and nothing obliges anyone to extend that support or upgrade it.

Source: National Audit Office, "Investigation: WannaCry cyber attack and the NHS" (HC 414,
October 2017): trusts kept Windows XP long past the end of Microsoft's extended support on
8 April 2014, and replacing it fell on each of them.
"""

from __future__ import annotations

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.clock import today
from registry.contracts.models import Contract
from registry.contracts.queries import public_contract
from registry.flags.detectors.base import (
    CoverageSource,
    Detector,
    Finding,
    RunContext,
    Threshold,
    coverage_select,
)
from registry.flags.models import Severity, SubjectType
from registry.products.exposure import covered, find_exposures, live_on, support_end
from registry.products.models import ContractProduct, Product
from registry.suppliers.models import SupplierGroup

HIGH_AFTER_DAYS = 365  # a year or more past support is high severity


def find(ctx: RunContext) -> list[Finding]:
    exposures = find_exposures(ctx.db, today(), int(ctx.thresholds["grace_days"]))
    return [
        Finding(
            subject_type=SubjectType.buyer_product,
            subject_key=f"{e.buyer_id}/product-{e.product_id}",
            subject_label=f"{e.buyer} on {e.product} ({e.vendor})",
            severity=Severity.high if e.days_past_support >= HIGH_AFTER_DAYS else Severity.medium,
            metrics=e.metrics(),
            buyer_id=e.buyer_id,
            group_id=e.group_id,
        )
        for e in exposures
    ]


def coverage(ctx: RunContext) -> CoverageSource:
    # Every buyer and product pair linked through a published contract, live or not: the
    # flagged ones come from find; the others are within support, or the rule cannot apply.
    live = live_on(today())
    pairs = (
        sa.select(
            Contract.buyer_id,
            ContractProduct.product_id,
            sa.func.count(sa.case((live, Contract.id))).label("live"),
            sa.func.count(sa.case((sa.and_(live, ~covered()), Contract.id))).label("uncovered"),
        )
        .select_from(Contract)
        .join(ContractProduct, ContractProduct.contract_id == Contract.id)
        .join(Product, Product.id == ContractProduct.product_id)
        .where(public_contract(), Product.retracted_at.is_(None))
        .group_by(Contract.buyer_id, ContractProduct.product_id)
        .subquery()
    )
    key = sa.cast(pairs.c.buyer_id, sa.String) + "/product-" + sa.cast(Product.id, sa.String)
    product = sa.func.trim(Product.name + " " + Product.version)
    label = Buyer.name + " on " + product + " (" + SupplierGroup.name + ")"
    columns = coverage_select(
        SubjectType.buyer_product,
        key,
        label,
        not_applicable=[
            (pairs.c.live == 0, "contract not live: ended, or not started yet"),
            (support_end().is_(None), "no end-of-support date recorded for this product"),
            (pairs.c.uncovered == 0, "covered by an extended-support or upgrade obligation"),
        ],
    )
    return [
        sa.select(*columns)
        .select_from(pairs)
        .join(Buyer, Buyer.id == pairs.c.buyer_id)
        .join(Product, Product.id == pairs.c.product_id)
        .join(SupplierGroup, SupplierGroup.id == Product.group_id)
    ]


DETECTOR = Detector(
    id="end_of_support",
    title="Unsupported software",
    rule=(
        "A buyer has a live published contract that depends on a product more than "
        "{grace_days} days past the end of its vendor's support (extended support where the "
        "vendor offers it, else mainstream), and no obligation on the contract's framework "
        "covers that product by extended support or an upgrade. Days are counted to the day "
        "of the check."
    ),
    source=(
        'National Audit Office, "Investigation: WannaCry cyber attack and the NHS" (HC 414, '
        "2017): Windows XP was kept in NHS trusts years after its extended support ended on "
        "8 April 2014."
    ),
    source_url="https://www.nao.org.uk/reports/investigation-wannacry-cyber-attack-and-the-nhs/",
    thresholds=(
        Threshold(
            "grace_days", 0, 0, 3650, "days past the end of support before a buyer is flagged"
        ),
    ),
    subjects="buyer and product pairs",
    find=find,
    coverage=coverage,
)
