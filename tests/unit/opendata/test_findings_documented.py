"""Every data-quality rule an import can record is explained in the README, by its name: a
publisher reading a finding on the ledger page can look it up."""

from __future__ import annotations

import re

import pytest

from registry import PROJECT_ROOT
from registry.opendata.findings import NOTES, RULES

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_finding_rule_is_in_the_readme(rule: str) -> None:
    assert f"`{rule}`" in README, f"README.md's import section does not explain `{rule}`"


def test_the_readme_names_the_notes_strict_accepts() -> None:
    # `--strict` refuses a file at any finding but a note: the README lists exactly those.
    found = re.search(r"other\s+than\s+a\s+note\s+\(([^)]*)\)", README)
    assert found is not None
    assert set(re.findall(r"`([a-z-]+)`", found.group(1))) == NOTES
