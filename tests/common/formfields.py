"""Every WTForms form class of the registry and its fields, found by importing every module, so
a test over "every form field" covers a field added by any feature."""

from __future__ import annotations

import functools
import importlib
import pkgutil

import wtforms
from wtforms.fields.core import UnboundField

import registry

NUMBER_FIELDS = (wtforms.IntegerField, wtforms.DecimalField, wtforms.FloatField)


@functools.cache
def form_classes() -> tuple[type[wtforms.Form], ...]:
    for module in pkgutil.walk_packages(registry.__path__, "registry."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: list[type[wtforms.Form]] = []
    stack = [wtforms.Form]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("registry."):
                found.append(sub)
    return tuple(sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}"))


def fields_of(cls: type[wtforms.Form]) -> dict[str, UnboundField]:
    return {
        name: value
        for name in dir(cls)
        if isinstance(value := getattr(cls, name, None), UnboundField)
    }


def kind_of(field: UnboundField) -> str:
    if issubclass(field.field_class, NUMBER_FIELDS):
        return "number"
    if issubclass(field.field_class, (wtforms.DateField, wtforms.DateTimeField)):
        return "date"
    return "other"


@functools.cache
def kinds_by_name() -> dict[str, frozenset[str]]:
    """What each field name is across the forms: a name that is a date in one form and text in
    another says nothing on its own."""
    kinds: dict[str, set[str]] = {}
    for cls in form_classes():
        for name, field in fields_of(cls).items():
            kinds.setdefault(name, set()).add(kind_of(field))
    return {name: frozenset(found) for name, found in kinds.items()}
