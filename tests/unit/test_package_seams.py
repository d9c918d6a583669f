"""The records don't import detection or market figures, and imports sit at the top of modules.

The records' packages (suppliers, buyers, frameworks, contracts, products): their models,
services, queries and resources import nothing from flags, markets or opportunities (their views
may compose those features' pages). An import placed inside a function hides an import cycle from
load time: the few left are each a cycle no module could yet be moved out of, and their number
must not grow."""

from __future__ import annotations

import ast
from pathlib import Path

import registry

ROOT = Path(registry.__file__).parent
RECORDS = ("suppliers", "buyers", "frameworks", "contracts", "products")
RECORD_LAYERS = ("models", "services", "queries", "resources")
FEATURES = ("registry.flags", "registry.markets", "registry.opportunities")

# Each a real cycle, with its reason beside it in the module.
LOCAL_IMPORTS = [
    "registry/db.py: registry.changes.version",
    "registry/db.py: registry.figures.hooks",
    "registry/flags/models.py: registry.flags.detectors",
    "registry/flags/services.py: registry.search.services",
    "registry/flags/services.py: registry.search.services",
    "registry/scoring/assessments/__init__.py: registry.scoring.assessments.services",
    "registry/scoring/scores/models.py: registry.scoring.scores",
    "registry/scoring/scores/models.py: registry.scoring.scores",
    "registry/scoring/scores/models.py: registry.scoring.scores.services",
    "registry/scoring/scores/models.py: registry.scoring.scores.services",
    "registry/seed/loader.py: registry.products.seed",
    "registry/seed/loader.py: registry.scoring.seed",
]


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module == "registry":
        return [f"registry.{alias.name}" for alias in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level:
        return [node.module or ""]
    return []


def imports_of(source: str) -> list[str]:
    return [name for node in ast.walk(ast.parse(source)) for name in _imported(node)]


def local_imports(source: str) -> list[str]:
    """The registry modules imported inside a function or method."""
    found: list[str] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if in_function:
                found.extend(n for n in _imported(child) if n.split(".")[0] == "registry")
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(ast.parse(source), False)
    return found


def _record_layers() -> list[Path]:
    return [
        path
        for package in RECORDS
        for layer in RECORD_LAYERS
        for path in (ROOT / package / f"{layer}.py", ROOT / package / layer)
        if path.exists()
    ]


def test_the_records_import_no_detection_or_market_figures():
    modules = [
        file
        for path in _record_layers()
        for file in (sorted(path.rglob("*.py")) if path.is_dir() else [path])
    ]
    assert len(modules) >= 12  # the check reads the modules it names
    found = [
        f"{path.relative_to(ROOT.parent)}: {name}"
        for path in modules
        for name in imports_of(path.read_text())
        if name.startswith(tuple(f"{feature}." for feature in FEATURES)) or name in FEATURES
    ]
    assert found == []


def test_imports_inside_functions_do_not_grow():
    found = sorted(
        f"{path.relative_to(ROOT.parent)}: {name}"
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
        for name in local_imports(path.read_text())
    )
    assert len(found) <= len(LOCAL_IMPORTS), found
    assert set(found) <= set(LOCAL_IMPORTS), found


def test_the_checks_see_what_they_look_for():
    source = (
        "import registry.flags.models\n"
        "from registry.markets.services import market_labels\n"
        "from registry import opportunities\n"
        "def f():\n"
        "    from registry.flags.detectors import DETECTORS\n"
        "    import json\n"
        "class C:\n"
        "    def g(self):\n"
        "        if True:\n"
        "            import registry.scoring.method\n"
    )
    assert imports_of(source)[:3] == [
        "registry.flags.models",
        "registry.markets.services",
        "registry.opportunities",
    ]
    assert local_imports(source) == ["registry.flags.detectors", "registry.scoring.method"]
