"""registry export (ocds|csv|json) --out PATH: the registry's public data, as open data."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli import CLIContext, main, pass_context
from registry.opendata.export import TABLES
from registry.opendata.formats import write_csv, write_json
from registry.opendata.release import write_ocds
from registry.opendata.snapshots import snapshots_root, write_snapshot


@main.command("export")
@click.argument("kind", type=click.Choice(["ocds", "csv", "json", "snapshot"]))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="ocds: the file to write; csv and json: the directory to write one file per table into; "
    "snapshot: the snapshot root (default: the registry.snapshots_dir setting).",
)
@pass_context
def export(cli: CLIContext, kind: str, out: Path | None) -> None:
    """Export published data: an OCDS 1.1 release package, or every public table as CSV or JSON.

    `snapshot` writes a dated directory (OCDS release package, a CSV per table and manifest.json
    with each file's sha256) under the snapshot root, which /data lists and serves.
    """

    if kind == "snapshot":
        root = out or snapshots_root(cli.settings)
        with cli.session() as db:
            snapshot = write_snapshot(db, root)
        click.echo(
            f"Wrote snapshot {snapshot.name}: {len(snapshot.files)} files, "
            f"{snapshot.total_bytes} bytes, in {root / snapshot.name}."
        )
        return
    if out is None:
        raise click.UsageError(f"export {kind} needs --out")
    with cli.session() as db:
        if kind == "ocds":
            if out.is_dir():
                out = out / "ocds-release-package.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8") as handle:
                count = write_ocds(db, handle)
            click.echo(f"Wrote {count} releases to {out}.")
            return
        out.mkdir(parents=True, exist_ok=True)
        writer = write_csv if kind == "csv" else write_json
        for table in TABLES.values():
            path = out / f"{table.name}.{kind}"
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer(db, table, handle)
        click.echo(f"Wrote {len(TABLES)} tables to {out}.")
