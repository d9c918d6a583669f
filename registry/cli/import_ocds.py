"""registry import ocds FILE...: streamed OCDS import, each file whole or not at all."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import sqlalchemy as sa

from registry.changes.logged import CHANGE_LOG
from registry.cli import CLIContext, pass_context
from registry.cli.imports import import_group
from registry.contracts.models import Contract
from registry.db import refresh_statistics
from registry.opendata.importer import ImportRefused, ImportSummary, import_file
from registry.opendata.ledger import record_refused
from registry.opendata.limits import ReadLimits, import_limits, parse_size

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from registry.opendata.importer import ImportSummary


# On SQLite, an import that changed less than this share of the contracts held leaves the
# planner's statistics as they are: they still describe the tables (a day's notices into a national
# registry), where SQLite's ANALYZE reads every index of a million contracts (seconds).
# PostgreSQL's is per table: those whose rows changed by more than autovacuum's threshold are
# analysed (registry.db.refresh_statistics), and the change log, drained by every detect run and
# refilled by the import, by which the next `registry detect` plans its join (without it,
# seconds slower on a day's file).
STALE_SHARE = 0.1


def _refresh_statistics(cli: CLIContext, changed: int) -> None:
    """Refresh the planner's statistics that `changed` contracts made stale."""
    if not changed:
        return
    if cli.engine.dialect.name == "postgresql":
        refresh_statistics(cli.engine, stale_and=[CHANGE_LOG.name])
        return
    with cli.engine.connect() as connection:
        held = connection.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one()
    if changed >= STALE_SHARE * held:
        refresh_statistics(cli.engine)


class SizeType(click.ParamType):
    """A size in bytes, or with K, M or G (2G, 500M)."""

    name = "size"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@import_group.command("ocds")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of text.")
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse a file whole at any departure from the OCDS schema (to check your own files).",
)
@click.option(
    "--max-bytes",
    type=SizeType(),
    help="Refuse a file larger than this once decompressed (e.g. 2G; default "
    "registry.import.max_bytes or 4 GB).",
)
@click.option(
    "--max-string",
    type=SizeType(),
    help="Refuse a file holding a JSON string longer than this (default "
    "registry.import.max_string or 16 MB).",
)
@click.option(
    "--max-line",
    type=SizeType(),
    help="Refuse a JSON Lines file with a line longer than this (default "
    "registry.import.max_line or 256 MB).",
)
@pass_context
def import_ocds(
    cli: CLIContext,
    files: tuple[Path, ...],
    as_json: bool,
    strict: bool,
    max_bytes: int | None,
    max_string: int | None,
    max_line: int | None,
) -> None:
    """Import OCDS release packages, record packages or JSON Lines (.gz too).

    What can be interpreted is imported; each departure from the OCDS schema is a data-quality
    finding in the import ledger (counted per rule, with its JSON path and an example), and a
    release that cannot be interpreted at all (not an object, no ocid) is skipped with its
    reason. A file that is not JSON, or not OCDS, is refused whole: nothing from it is written
    but its ledger entry. With --strict any finding refuses the file. Files before a refused
    one stay imported.
    """

    try:
        limits = import_limits(cli.settings).replace(
            max_bytes=max_bytes, max_string=max_string, max_line=max_line
        )
    except ValueError as exc:
        raise click.UsageError(f"registry.import.*: {exc}") from exc

    total = ImportSummary()
    per_file: list[dict[str, object]] = []
    refused = False
    show_progress = sys.stderr.isatty() and not as_json
    for path in files:
        if not path.exists():
            click.echo(f"{path}: no such file", err=True)
            refused = True
            continue
        try:
            with cli.session() as db:
                if show_progress:
                    summary = _with_progress(db, path, strict, limits)
                else:
                    summary = import_file(db, path, path.name, strict=strict, limits=limits)
        except ImportRefused as exc:
            refused = True
            for line in exc.messages:
                click.echo(line, err=True)
            # The import was rolled back; its ledger entry is written now, on its own.
            with cli.session() as db:
                entry = record_refused(db, exc)
                number = entry.id if entry else None
            click.echo(f"{path.name}: refused; nothing from it was imported.", err=True)
            if number:
                click.echo(f"{path.name}: the refusal is import ledger entry {number}.", err=True)
            continue
        total.add(summary)
        per_file.append({"file": path.name, "import": summary.run_id, **summary.as_json()})
        if not as_json:
            click.echo(_describe(path.name, summary))
    _refresh_statistics(cli, total.created + total.updated)  # for the next `registry detect`
    if as_json:
        # The totals, and each imported file's own figures (its findings among them).
        click.echo(json.dumps({**total.as_json(), "files": per_file}))
    if refused:
        sys.exit(1)


def _with_progress(db: Session, path: Path, strict: bool, limits: ReadLimits) -> ImportSummary:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} releases"),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(f"Importing {path.name}", total=None)
        return import_file(
            db,
            path,
            path.name,
            progress=lambda n: bar.advance(task, n),
            strict=strict,
            limits=limits,
        )


def _describe(name: str, summary: ImportSummary) -> str:
    s = summary.as_json()
    reasons = "; ".join(f"{reason}: {n}" for reason, n in s["skip_reasons"].items())
    return (
        f"{name}: {s['releases']} releases, {s['contracts']} contracts, "
        f"{s['suppliers']} new suppliers, {s['buyers']} new buyers, {s['skipped']} skipped"
        + (f" ({reasons})" if reasons else "")
        + (f", {s['unchanged']} unchanged" if s["unchanged"] else "")
        + (f", {s['duplicates']} repeated in the file" if s["duplicates"] else "")
        + f"; {summary.top_rules()}"
        + (f"; import ledger entry {summary.run_id}" if summary.run_id else "")
        + "."
    )
