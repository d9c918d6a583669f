"""registry score: rescore what changed since the last run (set-based), or verify the published
scores."""

from __future__ import annotations

import datetime

import click

from registry import clock
from registry.cli import CLIContext, main, pass_context
from registry.scoring.scores import incremental
from registry.scoring.scores import services as scores
from registry.scoring.scores.coverage import score_coverage


@main.command()
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Score as of this date (YYYY-MM-DD); today by default.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Re-derive every current score from the assessments and report mismatches (exit 1).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Rescore every supplier, not only those whose scores the changes since the last run move.",
)
@pass_context
def score(cli: CLIContext, as_of: datetime.datetime | None, verify: bool, full: bool) -> None:
    """Recompute suppliers' scores per framework and overall, one per year, by the documented
    method (see /methodology). Superseded scores are kept, marked not current.

    Only what changed since the last run is rescored: the suppliers whose assessments changed
    and those rated on a framework whose assessments changed (its prior moved), and every
    supplier in a period the last run did not score. The first run, a change of method and
    --full rescore everything."""
    if verify:
        with cli.session() as db:
            problems = scores.verify(db)
        for problem in problems:
            click.echo(problem)
        if problems:
            click.echo(f"{len(problems)} mismatches.", err=True)
            raise SystemExit(1)
        click.echo("Every current score matches its assessments.")
        return
    day = as_of.date() if as_of else clock.today()
    with cli.session() as db:
        said, summary = incremental.score(db, day, full=full)
        covered = score_coverage(db)
    click.echo(said)
    click.echo(f"Computed {summary.scores} scores over {summary.periods} periods as of {day}.")
    # Coverage, not silence: who was not scored, and why (registry/scoring/scores/coverage.py).
    click.echo(covered.describe())
