"""Buyers: create and edit, with identifiers checked per scheme. Every change is audited."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from zope.interface import implementer

from registry.audit.services import add_audited, apply_audited, snapshot_of
from registry.buyers.interfaces import IBuyerService
from registry.buyers.models import Buyer, BuyerType
from registry.buyers.records import buyer_row
from registry.identifiers import UnusableName, is_ods_code, record_name
from registry.integers import record_by_number
from registry.problems import Problem, ServiceError
from registry.sql import escape_like

SUBJECT = "buyer"
ODS_SCHEME = "GB-NHS-ODS"
# org-id.guide style: a country code, a hyphen, then the register's code.
SCHEME_RE = re.compile(r"[A-Z]{2}-[A-Z0-9-]{2,37}")


class BuyerError(ServiceError):
    """The change cannot be made as asked. `errors` are (field name, message) pairs."""


@dataclasses.dataclass
class BuyerInput:
    name: str
    buyer_type: str
    region: str | None = None
    identifier_scheme: str | None = None
    identifier: str | None = None
    party_id: str | None = None
    illustrative: bool = False

    @classmethod
    def from_buyer(cls, buyer: Buyer) -> BuyerInput:
        return cls(
            name=buyer.name,
            buyer_type=buyer.buyer_type.value,
            region=buyer.region,
            identifier_scheme=buyer.identifier_scheme,
            identifier=buyer.identifier,
            party_id=buyer.party_id,
        )


snapshot = snapshot_of(
    "name", "buyer_type", "region", "identifier_scheme", "identifier", "party_id"
)


def _clean(value: str | None) -> str | None:
    value = re.sub(r"\s+", " ", value or "").strip()
    return value or None


@implementer(IBuyerService)
class BuyerService:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, buyer_id: int) -> Buyer | None:
        return self.db.get(Buyer, buyer_id)

    def find(self, text: str) -> Buyer | None:
        text = (text or "").strip()
        if not text:
            return None
        buyer = record_by_number(self.db, Buyer, text)
        if buyer is not None:
            return buyer
        matches = list(
            self.db.execute(
                sa.select(Buyer)
                .where(
                    sa.or_(
                        Buyer.identifier == text,
                        Buyer.identifier == text.upper(),
                        Buyer.party_id == text,
                    )
                )
                .limit(2)
            ).scalars()
        )
        # The same identifier in two schemes is ambiguous: better no answer than a wrong one.
        return matches[0] if len(matches) == 1 else None

    def _validate(self, data: BuyerInput, buyer: Buyer | None) -> dict[str, Any]:
        problems: list[Problem] = []
        name = _clean(data.name)
        recorded = None
        if not name:
            problems.append(("name", "Enter the buyer's name"))
        elif len(name) > 300:
            problems.append(("name", "Name must be 300 characters or fewer"))
        else:
            try:
                recorded = record_name(name)
            except UnusableName as exc:
                problems.append(("name", str(exc)))
        buyer_type: BuyerType | None = None
        try:
            buyer_type = BuyerType(data.buyer_type)
        except ValueError:
            problems.append(("buyer_type", "Choose the type of public body from the list"))
        region = _clean(data.region)
        if region and len(region) > 100:
            problems.append(("region", "Region must be 100 characters or fewer"))
        scheme = (_clean(data.identifier_scheme) or "").upper() or None
        identifier = _clean(data.identifier)
        if scheme and not SCHEME_RE.fullmatch(scheme):
            problems.append(
                (
                    "identifier_scheme",
                    "Identifier scheme must be a code like GB-NHS-ODS or GB-GOR",
                )
            )
        elif scheme and not identifier:
            problems.append(("identifier", "Enter the identifier, or leave the scheme empty"))
        elif identifier and not scheme:
            problems.append(("identifier_scheme", "Enter the scheme the identifier belongs to"))
        elif scheme == ODS_SCHEME and identifier:
            identifier = identifier.upper()
            if not is_ods_code(identifier):
                problems.append(
                    ("identifier", "ODS code must be 3 to 6 letters and digits, like RR8 or A81001")
                )
        if identifier and len(identifier) > 100:
            problems.append(("identifier", "Identifier must be 100 characters or fewer"))
        if scheme and identifier and not problems:
            query = sa.select(Buyer.id).where(
                Buyer.identifier_scheme == scheme, Buyer.identifier == identifier
            )
            if buyer is not None:
                query = query.where(Buyer.id != buyer.id)
            if self.db.execute(query.limit(1)).first() is not None:
                problems.append(
                    (
                        "identifier",
                        f"Another buyer already has the {scheme} identifier {identifier}",
                    )
                )
        party_id = _clean(data.party_id)
        if party_id and len(party_id) > 200:
            problems.append(("party_id", "Party identifier must be 200 characters or fewer"))
        if problems:
            raise BuyerError(problems)
        assert recorded is not None and buyer_type is not None
        return buyer_row(
            recorded,
            buyer_type=buyer_type,
            region=region,
            identifier_scheme=scheme,
            identifier=identifier,
            party_id=party_id,
            illustrative=data.illustrative,
        )

    def create(self, data: BuyerInput, *, actor: Any) -> Buyer:
        buyer = Buyer(**self._validate(data, None))
        return add_audited(
            self.db,
            buyer,
            snapshot=snapshot,
            action="buyer.created",
            subject_type=SUBJECT,
            actor=actor,
        )

    def update(self, buyer: Buyer, data: BuyerInput, *, actor: Any) -> Buyer:
        values = self._validate(data, buyer)
        # Made once and kept by an edit: whether it is illustrative, and its other names.
        del values["illustrative"], values["also_known_as"]
        apply_audited(
            self.db,
            buyer,
            values,
            snapshot=snapshot,
            action="buyer.updated",
            subject_type=SUBJECT,
            actor=actor,
        )
        return buyer


def buyer_service_factory(context: Any, request: Any) -> BuyerService:
    return BuyerService(request.db)


def known_as(text: str) -> sa.ColumnElement[bool]:
    """Buyers that go by `text`, in any case: their name, or one of the other names and
    abbreviations in `also_known_as` (one a line: "HMRC" is HM Revenue and Customs). Shared by
    the buyers list and anything that looks a buyer up by what people call it."""
    wanted = " ".join(text.split()).lower()
    lines = sa.func.lower(sa.literal("\n") + sa.func.coalesce(Buyer.also_known_as, "") + "\n")
    return sa.or_(
        sa.func.lower(Buyer.name) == wanted,
        lines.like(f"%\n{escape_like(wanted)}\n%", escape="\\"),
    )
