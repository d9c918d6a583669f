"""Assessments from CSV: draft KPI ratings of contracts, checked and written by the scoring
service, so the same rules hold as for the form and the API (the narrative, the scale, periods
that do not overlap) and each one is audited.

An assessment is recognised by its contract, KPI and period; one already in the registry is left
as it is. Imported assessments are drafts: officers submit them for review as usual.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from registry.contracts.models import Contract
from registry.csvimport.plan import Plan, first_seen
from registry.csvimport.reader import Problems, Row, fetch_in
from registry.frameworks.models import Lot, Obligation
from registry.scoring.assessments import services as service
from registry.scoring.assessments.models import Assessment


def _input(v: dict[str, Any], obligation_id: int | None) -> service.AssessmentInput:
    return service.AssessmentInput(
        kpi=v["kpi"] or "",
        period_start=v["period_start"],
        period_end=v["period_end"],
        rating=v["rating"] or "",
        obligation_id=obligation_id,
        measured_value=v["measured_value"],
        unit=v["unit"],
        evidence=v["evidence"] or "",
        evidence_links=v["evidence_links"] or [],
    )


def check(db: Session, rows: list[Row], problems: Problems) -> Plan:
    plan = Plan()
    contracts = {
        c.reference: c
        for (c,) in fetch_in(
            db,
            lambda chunk: (
                sa.select(Contract)
                .where(Contract.reference.in_(chunk))
                .options(selectinload(Contract.lot).selectinload(Lot.framework))
            ),
            [r.values["contract_reference"] for r in rows if r.values["contract_reference"]],
        )
    }
    framework_ids = {c.lot.framework_id for c in contracts.values() if c.lot is not None}
    obligations = {
        (framework_id, title.lower()): (obligation_id, title)
        for obligation_id, framework_id, title in fetch_in(
            db,
            lambda chunk: sa.select(Obligation.id, Obligation.framework_id, Obligation.title).where(
                Obligation.framework_id.in_(chunk), Obligation.retracted_at.is_(None)
            ),
            framework_ids,
        )
    }
    seen: dict[tuple[Any, ...], int] = {}
    for row in rows:
        v = row.values
        contract = contracts.get(v["contract_reference"])
        if v["contract_reference"] and contract is None:
            problems.add(row.line, "contract_reference", "no contract has this reference")
        if contract is not None and contract.is_retracted:
            problems.add(row.line, "contract_reference", "the contract is retracted")
            contract = None
        obligation_id, title = None, ""
        if v["obligation"] and contract is not None:
            framework_id = contract.lot.framework_id if contract.lot else None
            found = obligations.get((framework_id, v["obligation"].lower()))
            if found is None:
                problems.add(
                    row.line, "obligation", "not an obligation of the contract's framework"
                )
                continue
            obligation_id, title = found
        # A cell already reported as unreadable is not reported again by the service's rules.
        unread = any(v[name] is None for name in ("period_start", "period_end", "rating"))
        if contract is None or unread:
            continue
        data = _input(v, obligation_id)
        kpi = data.kpi.strip() or title
        data.kpi = kpi
        key = service.kpi_key_for_contract(contract, kpi)
        if (line := first_seen(seen, (key, data.period_start), row.line)) is not None:
            problems.add(
                row.line, "period_start", f"the same KPI and period is also on line {line}"
            )
            continue
        present = db.execute(
            sa.select(Assessment.id).where(
                Assessment.kpi_key == key,
                Assessment.period_start == data.period_start,
                Assessment.period_end == data.period_end,
                Assessment.retracted_at.is_(None),
            )
        ).first()
        if present is not None:
            plan.present.append((row.line, f"{contract.reference}: {kpi} ({data.period_start})"))
            continue
        try:
            service.check_input(db, data, key)
        except service.AssessmentError as exc:
            for field, message in exc.errors:
                problems.add(row.line, field or "kpi", message)
            continue
        plan.create.append(row)
        plan.context[f"line:{row.line}"] = (contract, data)
    return plan


def write(db: Session, plan: Plan) -> list[int]:
    ids = []
    for row in plan.create:
        contract, data = plan.context[f"line:{row.line}"]
        ids.append(service.create_for_contract(db, contract, data, None).id)
    return ids
