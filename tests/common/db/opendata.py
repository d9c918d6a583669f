"""Factories for the import ledger: imports (ImportRun) and their data-quality findings.

The importer writes both; these let a test set the figures the pages, the API and the downloads
show without importing a file."""

from __future__ import annotations

import datetime

import factory

from registry.opendata.models import ImportFinding, ImportOutcome, ImportRun
from tests.common.db.base import ModelFactory

STARTED = datetime.datetime(2025, 1, 23, 9, 0, tzinfo=datetime.UTC)


class ImportRunFactory(ModelFactory):
    """A good OCDS import from one publisher, of 4 releases, 3 of them classified."""

    class Meta:
        model = ImportRun

    kind = "ocds"
    source = factory.Sequence(lambda n: f"release-package-{n}.json")
    via = "command line"
    publisher = factory.Sequence(lambda n: f"Publisher {n}")
    source_key = factory.LazyAttribute(lambda o: f"{o.kind}: {o.publisher}")
    file_sha256 = "0" * 64
    file_bytes = 1000
    started_at = STARTED
    finished_at = STARTED + datetime.timedelta(seconds=5)
    outcome = ImportOutcome.imported
    releases_read = 4
    records_created = 4
    details = factory.LazyFunction(dict)
    with_classification = 3
    with_value = 4
    with_suppliers = 2
    with_supplier_identifier = 1
    with_procurement_method = 0
    with_tender_period = 2


class ImportFindingFactory(ModelFactory):
    class Meta:
        model = ImportFinding

    class Params:
        run = factory.SubFactory(ImportRunFactory)

    run_id = factory.SelfAttribute("run.id")
    rule = "empty-string"
    path = factory.Sequence(lambda n: f"releases[].tender.items[].field{n}")
    count = 1
    example = ""
    example_where = factory.LazyAttribute(lambda o: f"{o.path} in ocds-abc-1")
