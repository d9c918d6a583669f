"""Seeding into a registry that already holds some of the seeded records refuses, naming them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.frameworks.models import Framework
from registry.seed import SeedDataError, load_seed_data, registry_is_empty
from tests.common.db.core import BuyerFactory, SupplierGroupFactory


def test_existing_records_are_named_and_nothing_is_written(db_session: Session) -> None:
    SupplierGroupFactory(name="Microsoft Corporation")
    BuyerFactory(identifier_scheme="GB-NHS-ODS", identifier="RJ1")
    BuyerFactory(identifier_scheme="GB-NHS-ODS", identifier="F90001")
    assert registry_is_empty(db_session)

    with pytest.raises(SeedDataError) as info:
        load_seed_data(db_session)

    assert info.value.problems == [
        "already in the registry: supplier group Microsoft Corporation",
        "already in the registry: GB-NHS-ODS buyer identifier F90001, RJ1",
        "Nothing was written.",
    ]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Framework)) == 0
