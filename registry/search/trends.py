"""A supplier's scores on the comparison: one line per framework (and overall) with the latest
score, its band and a small trend, drawn as an inline SVG sparkline with a text alternative; the
full history is on the supplier's scorecard, not in the cell."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.formatting import format_score
from registry.frameworks.models import Framework
from registry.scoring.scores.models import Score
from registry.search.documents import score_band

WIDTH, HEIGHT, PAD = 80, 20, 2


@dataclasses.dataclass
class ScoreLine:
    framework: Framework | None  # None: the overall score
    history: list[Score]  # oldest first

    @property
    def latest(self) -> Score:
        return self.history[-1]

    @property
    def band(self) -> str:
        return score_band(self.latest.score)

    @property
    def points(self) -> str:
        """The sparkline's polyline points, 0-100 scaled to the box (higher is better)."""
        count = len(self.history)
        step = (WIDTH - 2 * PAD) / (count - 1) if count > 1 else 0
        return " ".join(
            f"{PAD + i * step:.1f},{PAD + (100 - float(s.score)) * (HEIGHT - 2 * PAD) / 100:.1f}"
            for i, s in enumerate(self.history)
        )

    @property
    def summary(self) -> str:
        """The sparkline in words, for those who cannot see it."""
        first, last = self.history[0], self.history[-1]
        if len(self.history) == 1:
            return f"One score, {format_score(last.score)}, for {last.period}."
        change = float(last.score) - float(first.score)
        trend = "rising" if change > 0.5 else "falling" if change < -0.5 else "steady"
        low = min(s.score for s in self.history)
        high = max(s.score for s in self.history)
        return (
            f"{len(self.history)} scores from {first.period} to {last.period}, {trend}: "
            f"from {format_score(first.score)} to {format_score(last.score)} "
            f"(lowest {format_score(low)}, highest {format_score(high)})."
        )


def score_lines(db: Session, ids: list[int]) -> dict[int, list[ScoreLine]]:
    """Each supplier's lines: overall first, then by framework reference (one query)."""
    histories: dict[tuple[int, int | None], list[Score]] = defaultdict(list)
    for score in db.execute(
        sa.select(Score)
        .where(Score.supplier_id.in_(ids), Score.current.is_(True))
        .order_by(Score.period_end, Score.id)
    ).scalars():
        histories[(score.supplier_id, score.framework_id)].append(score)
    lines: dict[int, list[ScoreLine]] = defaultdict(list)
    for (supplier_id, _), history in histories.items():
        lines[supplier_id].append(ScoreLine(history[-1].framework, history))
    for supplier_lines in lines.values():
        supplier_lines.sort(key=lambda line: (line.framework is not None, _reference(line)))
    return lines


def _reference(line: ScoreLine) -> str:
    return line.framework.reference if line.framework else ""
