"""What every detector is: an id, its rule, its thresholds (defaults overridable in the ini file),
the published source it follows, and a function of one or a few SQL aggregate queries."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from pyramid.exceptions import ConfigurationError
from sqlalchemy.orm import Session

from registry.flags.models import Severity, SubjectType

SETTINGS_PREFIX = "registry.detectors."


@dataclasses.dataclass(frozen=True)
class Threshold:
    name: str
    default: int | float
    minimum: int | float
    maximum: int | float
    description: str

    @property
    def kind(self) -> type:
        return type(self.default)

    def parse(self, setting: str, raw: Any) -> int | float:
        """The setting's value, or a ConfigurationError naming the setting and what it must be."""
        text = str(raw).strip()
        try:
            value: int | float = int(text) if self.kind is int else float(text)
        except ValueError:
            kind = "a whole number" if self.kind is int else "a number"
            raise ConfigurationError(f"{setting} must be {kind}, not {text!r}") from None
        if value != value or not self.minimum <= value <= self.maximum:  # NaN is out of range too
            raise ConfigurationError(
                f"{setting} must be between {self.minimum} and {self.maximum}, not {text}"
            )
        return value


@dataclasses.dataclass(frozen=True)
class Finding:
    """One subject showing the pattern, with the numbers that show it."""

    subject_type: SubjectType
    subject_key: str
    subject_label: str
    severity: Severity
    metrics: dict[str, Any]
    market_key: str | None = None
    buyer_id: int | None = None
    group_id: int | None = None
    framework_id: int | None = None
    contract_id: int | None = None
    # Every group the finding concerns; group_id is added to it.
    group_ids: tuple[int, ...] = ()

    @property
    def all_group_ids(self) -> frozenset[int]:
        ids = set(self.group_ids)
        if self.group_id is not None:
            ids.add(self.group_id)
        return frozenset(ids)


@dataclasses.dataclass(frozen=True)
class RunContext:
    db: Session
    thresholds: Mapping[str, int | float]
    cpv_depth: int
    # Shared by the detectors of one run, so the market figures are computed once.
    cache: dict[Any, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Detector:
    id: str
    title: str
    rule: str  # a format string over the threshold names
    source: str
    source_url: str
    thresholds: tuple[Threshold, ...]
    subjects: str  # what it flags, as the flag pages say it
    find: Callable[[RunContext], list[Finding]]

    @property
    def defaults(self) -> dict[str, int | float]:
        return {t.name: t.default for t in self.thresholds}

    def describe(self, thresholds: Mapping[str, Any]) -> str:
        return self.rule.format(**{**self.defaults, **thresholds})

    def setting(self, name: str) -> str:
        return f"{SETTINGS_PREFIX}{self.id}.{name}"
