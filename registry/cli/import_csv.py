"""registry import csv KIND FILE: check a whole CSV file, then write all of it or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import click

from registry.cli import CLIContext, pass_context
from registry.cli.imports import import_group
from registry.csvimport.columns import KINDS
from registry.csvimport.services import ImportResult, import_csv
from registry.opendata import ledger
from registry.opendata.limits import describe


class _Refused(Exception):
    def __init__(self, result: ImportResult) -> None:
        self.result = result


# A bigger file is refused before it is read into memory (CSV is never decompressed, so this is
# what it expands to); a cell longer than Python's csv.field_size_limit() (128 KB) refuses its row.
MAX_BYTES = 200 * 1024 * 1024


@import_group.command("csv")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as a JSON object.")
@click.option("--list-present", is_flag=True, help="List each row that was already present.")
@pass_context
def import_csv_command(
    cli: CLIContext, kind: str, file: Path, as_json: bool, list_present: bool
) -> None:
    """Import a CSV file of KIND: frameworks, suppliers, obligations or contracts.

    The column layout is in docs/csv-import.md and schemas/csv-KIND.schema.json. Every row is
    checked first; if any is wrong, every problem is listed as FILE:LINE: column NAME: message,
    nothing is written, and the exit status is 1. Rows already in the registry are left unchanged
    and counted as already present, so importing the same file twice creates nothing new.
    """
    source = ledger.describe(file, file.name, via=ledger.VIA_CLI, kind=f"csv {kind}")
    if file.stat().st_size > MAX_BYTES:
        message = f"{file} is larger than {describe(MAX_BYTES)} (the limit on a CSV file): split it"
        with cli.session() as db:
            ledger.record_refusal(db, source, [message])
        raise click.ClickException(message)
    data = file.read_bytes()
    try:
        with cli.session() as db:
            result = import_csv(db, kind, data, str(file))
            if not result.ok:
                raise _Refused(result)  # rolls the transaction back: nothing is written
            ledger.record_csv_import(
                db,
                source,
                rows=result.rows,
                created=len(result.created_ids),
                present=len(result.present),
            )
    except _Refused as refused:
        result = refused.result
        for problem in result.problems:
            click.echo(problem, err=True)
        # The import ledger keeps the refusal, in a transaction of its own.
        with cli.session() as db:
            ledger.record_refusal(db, source, result.problems)
        click.echo(f"{len(result.problems)} problem(s) in {file}: nothing was imported.", err=True)
        raise SystemExit(1) from None
    if list_present:
        for line, key in result.present:
            click.echo(f"{file}:{line}: already present: {key}")
    if as_json:
        click.echo(json.dumps(result.summary()))
    else:
        click.echo(
            f"Imported {file}: {len(result.created_ids)} {kind} created, "
            f"{len(result.present)} already present (left unchanged), from {result.rows} rows."
        )
