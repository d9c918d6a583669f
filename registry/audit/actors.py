"""Who acted, as a reader may be told (issue 20): public histories name a role and an
organisation ("an officer of Leeds City Council", "an auditor"), never a staff e-mail address;
auditors and administrators see who. Every page that shows who changed a record names them here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.audit.models import AuditEvent
from registry.authnz import Role
from registry.buyers.models import Buyer
from registry.suppliers.models import Supplier

# A label that is not a user's ("seed", "detector", "cli", "system") is shown as it is, unless it
# holds an address: then the public reads this.
SOMEONE = "a registry user"


def sees_who(reader: Any) -> bool:
    """Auditors and administrators see the e-mail address of whoever acted."""
    return reader is not None and reader.role in (Role.auditor, Role.admin)


def role_name(role: Role | str, organisation: str | None) -> str:
    """'an officer of Leeds City Council', 'a user of Acme Ltd', 'an auditor', 'an administrator'."""
    if role == Role.officer:
        return f"an officer of {organisation}" if organisation else "an officer"
    if role == Role.supplier:
        return f"a user of {organisation}" if organisation else "a supplier's user"
    if role == Role.auditor:
        return "an auditor"
    return "an administrator"


def _label(label: str | None) -> str:
    label = label or ""
    return SOMEONE if not label or "@" in label else label


class Actors:
    """The names of a page's actors, looked up in one query: `name(user_id, label)`."""

    def __init__(self, db: Session, reader: Any, user_ids: Iterable[int | None]) -> None:
        self.reveal = sees_who(reader)
        ids = sorted({i for i in user_ids if i is not None})
        self.names: dict[int, str] = {}
        if not ids:
            return
        rows = db.execute(
            sa.select(User.id, User.email, User.role, Buyer.name, Supplier.name)
            .outerjoin(Buyer, Buyer.id == User.buyer_id)
            .outerjoin(Supplier, Supplier.id == User.supplier_id)
            .where(User.id.in_(ids))
        ).all()
        for user_id, email, role, buyer, supplier in rows:
            described = role_name(role, buyer if role == Role.officer else supplier)
            self.names[user_id] = f"{email} ({described})" if self.reveal else described

    def name(self, user_id: int | None, label: str | None = None) -> str:
        """Who acted: the user's role and organisation (with the e-mail for auditors and
        administrators), or the label of the system that acted."""
        if user_id is not None and user_id in self.names:
            return self.names[user_id]
        if self.reveal:
            return label or SOMEONE
        return _label(label)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One audit event of a history and who acted, as this reader may be told."""

    event: AuditEvent
    who: str


def history(db: Session, reader: Any, events: list[AuditEvent]) -> list[Entry]:
    """A record's history (from `events_for`) with each actor named for `reader`."""
    actors = Actors(db, reader, (e.actor_id for e in events))
    return [Entry(e, actors.name(e.actor_id, e.actor_label)) for e in events]
