"""registry export (ocds|csv|json) --out PATH: the registry's public data, as open data."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli import CLIContext, main, pass_context


@main.command("export")
@click.argument("kind", type=click.Choice(["ocds", "csv", "json"]))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="ocds: the file to write; csv and json: the directory to write one file per table into.",
)
@pass_context
def export(cli: CLIContext, kind: str, out: Path) -> None:
    """Export published data: an OCDS 1.1 release package, or every public table as CSV or JSON."""
    from registry.opendata.export import TABLES, write_csv, write_json, write_ocds

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
