"""registry.audit.actors: who acted, named for the reader (issue 20: no staff e-mail in public)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from registry.audit import actors
from registry.audit.services import events_for, record_event
from tests.common.db.core import BuyerFactory, SupplierFactory


def test_the_public_reads_roles_and_organisations_auditors_read_who(
    db_session: Session, make_user: Any
) -> None:
    buyer = BuyerFactory.create(name="Leeds City Council")
    supplier = SupplierFactory.create(name="Acme Health Ltd")
    officer = make_user("officer", buyer_id=buyer.id)
    supplier_user = make_user("supplier", supplier_id=supplier.id)
    auditor = make_user("auditor")
    admin = make_user("admin")
    for actor in (officer, supplier_user, auditor, admin, None):
        record_event(
            db_session, action="thing.change", subject_type="thing", subject_id=1, actor=actor
        )
    record_event(
        db_session,
        action="thing.change",
        subject_type="thing",
        subject_id=1,
        actor_label="someone@example.org",
    )
    events = events_for(db_session, "thing", 1)

    public = [entry.who for entry in actors.history(db_session, None, events)]
    assert public == [
        "an officer of Leeds City Council",
        "a user of Acme Health Ltd",
        "an auditor",
        "an administrator",
        "system",
        actors.SOMEONE,
    ]
    # Officers and supplier users are not told who either.
    assert [e.who for e in actors.history(db_session, officer, events)] == public
    for reader in (auditor, admin):
        seen = [entry.who for entry in actors.history(db_session, reader, events)]
        assert seen[:4] == [
            f"{officer.email} (an officer of Leeds City Council)",
            f"{supplier_user.email} (a user of Acme Health Ltd)",
            f"{auditor.email} (an auditor)",
            f"{admin.email} (an administrator)",
        ]
        assert seen[5] == "someone@example.org"
