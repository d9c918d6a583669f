from __future__ import annotations

from registry.cli import main


@main.group("import")
def import_group() -> None:
    """Import data: OCDS files, or CSV files of frameworks, suppliers, obligations, contracts."""
