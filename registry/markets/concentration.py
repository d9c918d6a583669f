"""Concentration maths: shares, HHI and concentration ratios. Pure functions, no database.

HHI is the sum of squared percentage shares (0 to 10,000), as the US 2023 Merger Guidelines and
the EU horizontal merger guidelines (2004/C 31/03) compute it. CRn is the combined share of the n
largest. Shares are taken over supplier groups (ultimate parents), never subsidiaries.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any


@dataclasses.dataclass(frozen=True)
class Share:
    key: Any
    amount: float
    share: float  # 0..1


@dataclasses.dataclass(frozen=True)
class Concentration:
    total: float
    shares: tuple[Share, ...]  # largest first; ties by key, so the order never depends on input
    hhi: float
    cr1: float
    cr2: float
    cr4: float

    @property
    def participants(self) -> int:
        return len(self.shares)

    def as_metrics(self) -> dict[str, Any]:
        return {
            "hhi": round(self.hhi, 1),
            "cr1": round(self.cr1, 4),
            "cr2": round(self.cr2, 4),
            "cr4": round(self.cr4, 4),
        }


EMPTY = Concentration(total=0.0, shares=(), hhi=0.0, cr1=0.0, cr2=0.0, cr4=0.0)


def concentration(amounts: Mapping[Any, float | int | Decimal]) -> Concentration:
    """Shares, HHI and CR1/CR2/CR4 of the amounts by key. Zero total: an empty market (all 0)."""
    positive = {key: float(value) for key, value in amounts.items() if value and value > 0}
    total = math.fsum(positive.values())
    if total <= 0:
        return EMPTY
    ordered = sorted(positive.items(), key=lambda item: (-item[1], str(item[0])))
    shares = tuple(Share(key, amount, amount / total) for key, amount in ordered)
    # Squares of the amounts over the squared total: whole-number inputs (buyer counts) give an
    # exact HHI, and fsum keeps the result the same whatever order the inputs came in.
    hhi = 10_000 * math.fsum(share.amount * share.amount for share in shares) / (total * total)
    return _figured(Concentration, total, shares, hhi)


def _figured(
    kind: type[Concentration], total: float, shares: tuple[Share, ...], hhi: float, **extra: Any
) -> Concentration:
    """The concentration of `kind` with its ratios read off the shares, largest first."""
    return kind(
        total=total,
        shares=shares,
        hhi=min(hhi, 10_000.0),
        cr1=_cr(shares, 1),
        cr2=_cr(shares, 2),
        cr4=_cr(shares, 4),
        **extra,
    )


@dataclasses.dataclass(frozen=True)
class Leading(Concentration):
    """A concentration figured from totals: exact HHI and ratios, only the largest shares listed."""

    count: int = 0

    @property
    def participants(self) -> int:
        return self.count


def leading(
    total: float | int | Decimal,
    sum_of_squares: float | int | Decimal,
    count: int,
    largest: Sequence[tuple[Any, float | int | Decimal]],
) -> Concentration:
    """What `concentration` gives for amounts whose total, sum of squares and number are known
    (from SQL), listing only the `largest` (key, amount) pairs, largest first."""
    total = float(total)
    if count == 0 or total <= 0:
        return EMPTY
    shares = tuple(Share(key, float(amount), float(amount) / total) for key, amount in largest)
    hhi = 10_000 * float(sum_of_squares) / (total * total)
    return _figured(Leading, total, shares, hhi, count=int(count))


def _cr(shares: Iterable[Share], n: int) -> float:
    return min(1.0, math.fsum(share.share for share in list(shares)[:n]))


def by_group(
    amounts_by_supplier: Mapping[Any, float], group_of: Mapping[Any, Any]
) -> Concentration:
    """Fold suppliers into their groups first: subsidiaries of one parent are one competitor."""
    grouped: dict[Any, list[float]] = {}
    for supplier, amount in amounts_by_supplier.items():
        grouped.setdefault(group_of[supplier], []).append(float(amount))
    return concentration({group: math.fsum(values) for group, values in grouped.items()})
