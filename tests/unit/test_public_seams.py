"""Only public names cross modules: no module in registry/ imports another's `_private` name or
reaches into another module for one (`module._name`). What two modules share is given a public
name in the module that owns it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import registry

ROOT = Path(registry.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    path = ROOT.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _within_package(dotted: str, here: str) -> bool:
    """A package's own `_module` is for that package: `dotted` may be imported by `here` unless a
    private module on its path lies in a package `here` is not part of."""
    parts = dotted.split(".")
    return not any(
        _private(part)
        and _is_module(".".join(parts[: depth + 1]))
        and not here.startswith(".".join(parts[:depth]) + ".")
        for depth, part in enumerate(parts)
    )


def _absolute(module: str | None, level: int, here: str, is_package: bool) -> str:
    if not level:
        return module or ""
    base = here.split(".")
    base = base[: len(base) - level + (1 if is_package else 0)]
    return ".".join([*base, module] if module else base)


def reaches(source: str, here: str, is_package: bool = False) -> Iterator[str]:
    """Each private name of another registry module that `source` (module `here`) imports or
    reads as an attribute of a registry module it imported."""
    tree = ast.parse(source)
    modules: dict[str, str] = {}  # local name → the registry module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            origin = _absolute(node.module, node.level, here, is_package)
            if origin.split(".")[0] != "registry":
                continue
            if not _within_package(origin, here):
                yield f"{node.lineno}: from {origin} import …"
            for alias in node.names:
                dotted = f"{origin}.{alias.name}"
                # A package's own private module is the one private name it may import.
                package_private = _is_module(dotted) and _within_package(dotted, here)
                if _private(alias.name) and origin != here and not package_private:
                    yield f"{node.lineno}: from {origin} import {alias.name}"
                if _is_module(dotted):
                    modules[alias.asname or alias.name] = dotted
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "registry":
                    if not _within_package(alias.name, here):
                        yield f"{node.lineno}: import {alias.name}"
                    if alias.asname:
                        modules[alias.asname] = alias.name
                    else:
                        modules["registry"] = "registry"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not _private(node.attr):
            continue
        dotted = ast.unparse(node.value)
        head, _, rest = dotted.partition(".")
        if head not in modules:
            continue
        target = modules[head] + (f".{rest}" if rest else "")
        if target != here and _is_module(target):
            yield f"{node.lineno}: {dotted}.{node.attr}"


def test_no_module_uses_another_modules_private_names():
    found = [
        f"{path.relative_to(ROOT.parent)}:{where}"
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
        for where in reaches(path.read_text(), _module_name(path), path.name == "__init__.py")
    ]
    assert found == []


def test_the_check_sees_each_way_of_reaching_in():
    here = "registry.suppliers.views"
    source = (
        "import registry.scoring.assessments\n"
        "import registry.scoring.assessments as a\n"
        "from registry.scoring import assessments\n"
        "from registry.scoring.assessments import _transition\n"
        "from ..scoring.assessments import _check\n"
        "from . import _helpers\n"
        "from registry.flags.detectors._shares import buyer_group_market_coverage\n"
        "registry.scoring.assessments._one(a._two, assessments._three)\n"
    )
    assert sorted(reaches(source, here)) == sorted(
        [
            "4: from registry.scoring.assessments import _transition",
            "5: from registry.scoring.assessments import _check",
            "6: from registry.suppliers import _helpers",
            "7: from registry.flags.detectors._shares import …",
            "8: registry.scoring.assessments._one",
            "8: a._two",
            "8: assessments._three",
        ]
    )


def test_the_check_leaves_a_modules_own_names_and_public_aliases_alone():
    source = (
        "from registry.api import models as _api_models\n"
        "from registry.scoring.assessments import transition\n"
        "from registry.scoring import assessments\n"
        "assessments.transition()\n"
        "assessments.__name__\n"
        "_local = 1\n"
    )
    assert list(reaches(source, "registry.models")) == []


def test_a_packages_private_module_is_for_the_package():
    source = (
        "from registry.flags.detectors._shares import buyer_group_market_coverage\n"
        "from registry.flags.detectors import _markets\n"
        "import registry.flags.detectors._markets\n"
        "_markets.market_shares\n"
    )
    assert list(reaches(source, "registry.flags.detectors.repeat_awards")) == []
    assert len(list(reaches(source, "registry.markets.figures"))) == 3
