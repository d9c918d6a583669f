"""Geometry for the market pages' SVG charts. The templates draw them; each chart's data table,
printed beside it, is its text alternative."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

BAR_HEIGHT = 28
BAR_GAP = 10
LABEL_WIDTH = 220
PLOT_WIDTH = 440
VALUE_WIDTH = 70


@dataclasses.dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..1
    x: float
    y: float
    width: float
    height: float
    text_y: float


@dataclasses.dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_x: int
    bars: tuple[Bar, ...]


def bar_chart(items: Sequence[tuple[str, float]]) -> BarChart:
    """Horizontal bars of shares (0..1), one per row, the label on the left."""
    bars = []
    for index, (label, value) in enumerate(items):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        bars.append(
            Bar(
                label=label if len(label) <= 30 else label[:29] + "…",
                value=value,
                x=LABEL_WIDTH,
                y=y,
                width=max(0.0, min(1.0, value)) * PLOT_WIDTH,
                height=BAR_HEIGHT,
                text_y=y + BAR_HEIGHT * 0.68,
            )
        )
    height = BAR_GAP + len(bars) * (BAR_HEIGHT + BAR_GAP)
    return BarChart(LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH, height, LABEL_WIDTH, tuple(bars))


@dataclasses.dataclass(frozen=True)
class Tick:
    label: str
    x: float
    y: float


@dataclasses.dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: str  # the polyline's "x,y x,y ..."
    dots: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    threshold_y: float | None


def line_chart(
    points: Sequence[tuple[int, float]], maximum: float = 10_000.0, threshold: float | None = None
) -> LineChart:
    """HHI (0 to 10,000) by year; a dashed line marks the detector's threshold."""
    width, height, left, right, top, bottom = 640, 280, 60, 620, 20, 240

    def x_of(index: int) -> float:
        if len(points) == 1:
            return (left + right) / 2
        return left + index * (right - left) / (len(points) - 1)

    def y_of(value: float) -> float:
        return bottom - max(0.0, min(value, maximum)) / maximum * (bottom - top)

    dots = tuple(Tick(f"{value:,.0f}", x_of(i), y_of(value)) for i, (_, value) in enumerate(points))
    # At most about a dozen year labels, so they never run into each other.
    step = max(1, -(-len(points) // 12))
    x_ticks = tuple(
        Tick(str(year), x_of(i), bottom + 20)
        for i, (year, _) in enumerate(points)
        if i % step == 0 or i == len(points) - 1
    )
    y_ticks = tuple(Tick(f"{v:,.0f}", left - 8, y_of(v)) for v in (0, 2500, 5000, 7500, 10_000))
    return LineChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        points=" ".join(f"{d.x:.1f},{d.y:.1f}" for d in dots),
        dots=dots,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        threshold_y=y_of(threshold) if threshold is not None else None,
    )
