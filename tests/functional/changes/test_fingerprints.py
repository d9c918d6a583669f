"""Fingerprints (registry.changes.fingerprints): a text is digested whole, the same on SQLite (a
Python function the engine registers) as on PostgreSQL (md5), so an edit anywhere in a long text
(a supplier's name, its middle retyped, its length kept) changes its table's fingerprint."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.changes.fingerprints import table_fingerprint
from registry.db import TextDigest
from registry.suppliers.models import Supplier
from tests.common.db.core import SupplierFactory


@pytest.mark.parametrize("text", ["GBP", "Ysgol Gynradd Aberystwyth — Cyngor Sir Ceredigion", ""])
def test_a_text_digest_is_the_first_28_bits_of_its_md5(db_session: Session, text: str) -> None:
    expected = int(hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:7], 16)
    assert db_session.execute(sa.select(TextDigest(sa.literal(text)))).scalar_one() == expected


def test_a_null_has_no_digest(db_session: Session) -> None:
    null = sa.cast(sa.null(), sa.Text)
    assert db_session.execute(sa.select(TextDigest(null))).scalar_one() is None


def test_an_edit_in_the_middle_of_a_long_name_changes_the_fingerprint(
    db_session: Session,
) -> None:
    supplier = SupplierFactory(name="Northern Regional Clinical Software Services Ltd")
    db_session.flush()
    table: sa.Table = Supplier.__table__  # type: ignore[assignment]
    before = db_session.execute(table_fingerprint(table)).one().fingerprint
    supplier.name = "Northern Regional Clinical Hardware Services Ltd"  # same length
    db_session.flush()
    assert db_session.execute(table_fingerprint(table)).one().fingerprint != before
