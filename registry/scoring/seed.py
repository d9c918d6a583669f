"""Seed the scoring feature from seed_data/assessments.json (after the core seed data).

The file is checked against schemas/seed-assessments.schema.json, its references (contracts,
suppliers, frameworks, obligations) are resolved, and every record is written through the
services, so the same rules hold as for the forms. Any problem names the JSON path and nothing is
written (the caller's transaction is rolled back). Scores are computed at the end.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session

from registry import PROJECT_ROOT, clock
from registry.audit.services import record_event
from registry.contracts.models import Contract
from registry.db import utcnow
from registry.frameworks.models import Framework, Lot, Membership, Obligation
from registry.identifiers import UnusableName, record_name
from registry.scoring.assessments import evidence
from registry.scoring.assessments import services as service
from registry.scoring.assessments.models import AssessmentReply, AssessmentStatus, Rating
from registry.scoring.remedies import services as remedies
from registry.scoring.scores import services as scores
from registry.seed.files import SeedDataError
from registry.suppliers.models import Supplier, SupplierGroup
from registry.suppliers.records import supplier_row

FILE = "scoring/assessments.json"  # its own folder: the core loader owns the top level
SCHEMA = PROJECT_ROOT / "schemas" / "seed-assessments.schema.json"
ACTOR = "seed"


class ScoringSeedError(SeedDataError):
    """A SeedDataError, so `registry seed` reports it the same way (one problem a line)."""


def _path(error: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def read(directory: Path) -> dict[str, Any] | None:
    path = directory / FILE
    if not path.exists():
        return None
    name = f"{directory.name}/{FILE}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScoringSeedError([f"{name}: not valid JSON: {exc}"]) from exc
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = [
        f"{name} at {_path(e)}: {e.message}"
        for e in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        raise ScoringSeedError(problems)
    result: dict[str, Any] = data
    return result


def _date(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


class _Loader:
    def __init__(self, db: Session, name: str, today: datetime.date) -> None:
        self.db = db
        self.name = name
        self.today = today
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.name} at {where}: {message}")

    def supplier(self, name: str, where: str) -> Supplier | None:
        found = self.db.scalars(sa.select(Supplier).where(Supplier.name == name)).first()
        if found is None:
            self.fail(where, f"no supplier named {name!r}")
        return found

    def framework(self, reference: str, where: str) -> Framework | None:
        found = self.db.scalars(
            sa.select(Framework).where(Framework.reference == reference)
        ).first()
        if found is None:
            self.fail(where, f"no framework {reference!r}")
        return found

    def obligation(self, framework: Framework, title: str, where: str) -> Obligation | None:
        found = self.db.scalars(
            sa.select(Obligation).where(
                Obligation.framework_id == framework.id, Obligation.title == title
            )
        ).first()
        if found is None:
            self.fail(where, f"framework {framework.reference} has no obligation {title!r}")
        return found

    def contract(self, reference: str, where: str) -> Contract | None:
        found = self.db.scalars(sa.select(Contract).where(Contract.reference == reference)).first()
        if found is None:
            self.fail(where, f"no contract with reference {reference!r}")
        return found

    def fictional(self, entries: list[dict[str, Any]]) -> None:
        for index, entry in enumerate(entries):
            try:
                name = record_name(entry["name"])
            except UnusableName as exc:
                self.fail(f"$.fictional_suppliers[{index}].name", f"{entry['name']!r}: {exc}")
                continue
            group = SupplierGroup(name=name.name, illustrative=True)
            supplier = Supplier(**supplier_row(name, illustrative=True), group=group)
            self.db.add_all([group, supplier])
            self.db.flush()
            record_event(
                self.db,
                action="supplier.created",  # as the core seed names it
                subject_type="supplier",
                subject_id=supplier.id,
                actor_label=ACTOR,
                after={"name": supplier.name, "fictional": True},
                reason=f"seeded from {self.name}",
            )

    def assessment(self, entry: dict[str, Any], where: str) -> None:
        data = service.AssessmentInput(
            kpi=entry.get("kpi", ""),
            period_start=_date(entry["period_start"]),
            period_end=_date(entry["period_end"]),
            rating=entry.get("adjusted_from", entry["rating"]),
            measured_value=(
                Decimal(str(entry["measured_value"])) if "measured_value" in entry else None
            ),
            unit=entry.get("unit"),
            evidence=entry.get("evidence", ""),
            evidence_links=entry.get("evidence_links", []),
        )
        try:
            if "contract" in entry:
                contract = self.contract(entry["contract"], f"{where}.contract")
                if contract is None:
                    return
                if "obligation" in entry and contract.lot is not None:
                    obligation = self.obligation(
                        contract.lot.framework, entry["obligation"], f"{where}.obligation"
                    )
                    if obligation is None:
                        return
                    data.obligation_id = obligation.id
                a = service.create_for_contract(self.db, contract, data, None, illustrative=True)
            else:
                supplier = self.supplier(entry["supplier"], f"{where}.supplier")
                framework = self.framework(entry["framework"], f"{where}.framework")
                if supplier is None or framework is None:
                    return
                obligation = self.obligation(framework, entry["obligation"], f"{where}.obligation")
                if obligation is None:
                    return
                a = service.create_for_obligation(
                    self.db, obligation, supplier, data, None, illustrative=True
                )
        except service.AssessmentError as exc:
            for field, message in exc.errors:
                self.fail(f"{where}.{field}" if field else where, message)
            return
        a.assessor_name = "Illustrative assessor"
        status = entry["status"]
        if status == "draft":
            return
        # A submitted assessment's window has closed, so it waits in the review queue: it was
        # submitted a full window before today. The window runs from the day it was submitted
        # (illustrative), which the assessment clocks judge as on time or late.
        window = datetime.timedelta(days=service.DEFAULT_REPLY_WINDOW_DAYS)
        submitted_at = datetime.datetime.combine(
            self.today - window - datetime.timedelta(days=1), datetime.time(12), tzinfo=datetime.UTC
        )
        if "submitted_on" in entry:
            submitted_at = datetime.datetime.combine(
                _date(entry["submitted_on"]), datetime.time(12), tzinfo=datetime.UTC
            )
        service.transition(
            self.db,
            a,
            None,
            "assessment.submit",
            status=AssessmentStatus.submitted,
            submitted_at=submitted_at,
            reply_due=service.reply_due(submitted_at, window.days),
        )
        evidence.flag_contradictions(self.db, a, None)
        if "reply" in entry:
            reply = AssessmentReply(
                supplier_id=a.supplier_id, text=entry["reply"], illustrative=True
            )
            reply.assessment = a
            self.db.add(reply)
            self.db.flush()
            record_event(
                self.db,
                action="assessment.reply",
                subject_type=service.SUBJECT,
                subject_id=a.id,
                actor_label=ACTOR,
                after={"text": entry["reply"]},
            )
        if status == "submitted":
            return
        if "adjusted_from" in entry:
            service.transition(
                self.db,
                a,
                None,
                "assessment.adjust",
                entry.get("review_reason"),
                status=AssessmentStatus.adjusted,
                original_rating=a.rating,
                rating=Rating(entry["rating"]),
                review_reason=entry.get("review_reason"),
                reviewed_at=utcnow(),
            )
        else:
            service.transition(
                self.db,
                a,
                None,
                "assessment.approve",
                status=AssessmentStatus.approved,
                reviewed_at=utcnow(),
            )
        service.transition(
            self.db,
            a,
            None,
            "assessment.publish",
            rescore=False,  # every score is computed once the seed is loaded
            status=AssessmentStatus.published,
            published_at=utcnow(),
        )

    def plan(self, entry: dict[str, Any], where: str) -> None:
        supplier = self.supplier(entry["supplier"], f"{where}.supplier")
        framework = (
            self.framework(entry["framework"], f"{where}.framework")
            if "framework" in entry
            else None
        )
        if supplier is None:
            return
        obligation = membership = None
        if framework is not None and "obligation" in entry:
            obligation = self.obligation(framework, entry["obligation"], f"{where}.obligation")
        if framework is not None and "lot" in entry:
            membership = self.db.scalars(
                sa.select(Membership)
                .join(Lot)
                .where(
                    Lot.framework_id == framework.id,
                    Lot.number == entry["lot"],
                    Membership.supplier_id == supplier.id,
                )
            ).first()
            if membership is None:
                self.fail(f"{where}.lot", f"{supplier.name} is not on lot {entry['lot']}")
                return
        remedies.record_remediation_plan(
            self.db,
            supplier_id=supplier.id,
            gap=entry["gap"],
            agreed_date=_date(entry["agreed_date"]),
            actor=None,
            today=self.today,
            obligation_id=obligation.id if obligation else None,
            membership_id=membership.id if membership else None,
            progress=entry.get("progress", ""),
            progress_percent=entry.get("progress_percent", 0),
            illustrative=True,
        )
        if membership is not None and "membership_status" in entry:
            remedies.change_membership_status(
                self.db,
                membership,
                entry["membership_status"],
                entry.get("reason", "Remediation plan agreed"),
                None,
            )

    def breach(self, entry: dict[str, Any], where: str) -> None:
        supplier = self.supplier(entry["supplier"], f"{where}.supplier")
        contract = (
            self.contract(entry["contract"], f"{where}.contract") if "contract" in entry else None
        )
        if supplier is None:
            return
        remedies.record_breach(
            self.db,
            supplier_id=supplier.id,
            kind=entry["kind"],
            occurred_on=_date(entry["occurred_on"]),
            description=entry["description"],
            actor=None,
            contract_id=contract.id if contract else None,
            notice_published_on=_date(entry["notice_published_on"])
            if "notice_published_on" in entry
            else None,
            illustrative=True,
        )

    def exclusion(self, entry: dict[str, Any], where: str) -> None:
        supplier = self.supplier(entry["supplier"], f"{where}.supplier")
        if supplier is None:
            return
        try:
            remedies.record_exclusion(
                self.db,
                supplier_id=supplier.id,
                ground=entry["ground"],
                kind=entry["kind"],
                start_date=_date(entry["start_date"]),
                expected_end_date=_date(entry["expected_end_date"]),
                actor=None,
                illustrative=True,
            )
        except remedies.RemedyError as exc:
            for field, message in exc.errors:
                self.fail(f"{where}.{field}", message)


def load_scoring_seed(
    db: Session, directory: Path, today: datetime.date | None = None
) -> dict[str, int]:
    """Write the scoring seed in the caller's transaction; the counts written.

    Raises ScoringSeedError naming each problem; the caller's rollback then leaves nothing."""
    today = today or clock.today()
    data = read(directory)
    if data is None:
        return {}
    loader = _Loader(db, f"{directory.name}/{FILE}", today)
    loader.fictional(data.get("fictional_suppliers", []))
    for index, entry in enumerate(data["assessments"]):
        loader.assessment(entry, f"$.assessments[{index}]")
    for key, write in (
        ("remediation_plans", loader.plan),
        ("breaches", loader.breach),
        ("exclusions", loader.exclusion),
    ):
        for index, entry in enumerate(data.get(key, [])):
            write(entry, f"$.{key}[{index}]")
    if loader.problems:
        raise ScoringSeedError(loader.problems)
    summary = scores.recompute(db, today)
    return {
        "assessments": len(data["assessments"]),
        "remediation_plans": len(data.get("remediation_plans", [])),
        "breaches": len(data.get("breaches", [])),
        "exclusions": len(data.get("exclusions", [])),
        "scores": summary.scores,
    }
