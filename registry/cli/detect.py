"""registry detect: run the lock-in detectors and print the open flags."""

from __future__ import annotations

import json
import time
from typing import Any

import click
import sqlalchemy as sa
from pyramid.exceptions import ConfigurationError

from registry.cli import CLIContext, main, pass_context
from registry.clock import today
from registry.flags.coverage import coverage_counts
from registry.flags.detectors import DETECTORS, load_settings
from registry.flags.incremental import (
    finish,
    plan_detection,
    refresh_markets,
    refresh_record_figures,
)
from registry.flags.models import Flag
from registry.flags.services import (
    active_flags,
    active_flags_where,
    as_json,
    drop_run_tables,
    run_detection,
)
from registry.frameworks.lifecycle import disagreements
from registry.markets.services import cpv_depth


def _epilog() -> str:
    lines = ["\b", "Detectors, with their thresholds and defaults:"]
    for detector in DETECTORS.values():
        defaults = ", ".join(
            f"{t.name}={int(t.default) if float(t.default).is_integer() else t.default}"
            for t in detector.thresholds
        )
        lines.append(f"  {detector.id}: {defaults}")
    return "\n".join(lines)


def _count_open(db: Any, detector_id: str | None) -> int:
    """How many flags `active_flags` would list (open or acknowledged)."""
    query = sa.select(sa.func.count()).select_from(Flag).where(active_flags_where(detector_id))
    return int(db.execute(query).scalar_one())


@main.command(epilog=_epilog())
@click.option(
    "--detector",
    "detector_id",
    type=click.Choice(list(DETECTORS)),
    default=None,
    help="Run only this detector (and print only its flags).",
)
@click.option(
    "--json", "as_json_output", is_flag=True, help="Print the open flags as a JSON array."
)
@click.option(
    "--full",
    is_flag=True,
    help="Recompute every detector and every market, not only what changed since the last run.",
)
@pass_context
def detect(cli: CLIContext, detector_id: str | None, as_json_output: bool, full: bool) -> None:
    """Run the lock-in detectors: raise, update and resolve flags; print the open ones.

    Only what changed since the last run is recomputed (the detectors reading a changed table,
    the figures of the markets whose contracts changed); the first run, a change of thresholds
    or method, and --full recompute everything. --detector runs that one detector in full.
    Open flags are those open or acknowledged. Thresholds come from the ini file's
    `registry.detectors.<detector>.<threshold>` settings.
    """
    try:
        settings = load_settings(cli.settings)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    with cli.session() as db:
        started = time.perf_counter()
        plan = None if detector_id else plan_detection(db, settings, full=full)
        planned = time.perf_counter() - started
        # The run's temporary tables, kept after the detectors for the market figures to read.
        cache: dict[Any, Any] = {}
        try:
            if plan is None:
                summary = f"Detector {detector_id} run in full."
                runs = run_detection(db, settings, [str(detector_id)], cache)
            else:
                summary = plan.summary()
                runs = (
                    run_detection(db, settings, plan.detectors, cache, plan.scope)
                    if plan.detectors
                    else []
                )
            started = time.perf_counter()
            markets = 0
            if plan is None or plan.markets is None or plan.changes.count("market"):
                only = None if plan is None else plan.markets
                markets = refresh_markets(db, cpv_depth(cli.settings), only, cache)
            stored = time.perf_counter() - started
        finally:
            drop_run_tables(db, cache)
        started = time.perf_counter()
        records = refresh_record_figures(db, plan)
        records_seconds = time.perf_counter() - started
        started = time.perf_counter()
        if plan is not None:
            finish(db, plan)
        # Only --json prints the flags; otherwise their number, counted without loading them.
        flags = [as_json(flag) for flag in active_flags(db, detector_id)] if as_json_output else []
        open_flags = len(flags) if as_json_output else _count_open(db, detector_id)
        coverage = coverage_counts(db)
        disagree = [f"{d.framework.reference}: {d.message}" for d in disagreements(db, today())]
        counted = time.perf_counter() - started
        started = time.perf_counter()
    committed = time.perf_counter() - started  # the commit, and the search index's update
    if as_json_output:
        click.echo(json.dumps(flags, indent=2, ensure_ascii=False))
        return
    click.echo(summary)
    if plan is not None:
        parts = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in plan.seconds.items())
        click.echo(f"Planned in {planned:.2f}s ({parts}).")
    for run in runs:
        click.echo(
            f"{run.detector:<26} found {run.found:>6}  raised {run.raised:>5}  "
            f"updated {run.updated:>5}  reopened {run.reopened:>4}  resolved {run.resolved:>5}  "
            f"({run.seconds:.2f}s{', changed subjects only' if run.scoped else ''})"
        )
        # Coverage, not silence: what it examined without flagging, and what it could not judge.
        if counts := coverage.get(run.detector):
            click.echo(
                f"{'':<26} checked, not flagged {counts.checked:>6}  "
                f"not applicable {counts.not_applicable:>6}"
            )
    totals = {
        name: sum(getattr(run, name) for run in runs)
        for name in ("raised", "updated", "reopened", "resolved")
    }
    click.echo("; ".join(f"{count} flags {name}" for name, count in totals.items()) + ".")
    click.echo(f"Market figures stored for {markets:,} markets ({stored:.2f}s).")
    click.echo(f"{records.summary()} ({records_seconds:.2f}s).")
    click.echo(f"{open_flags} open flags.")
    click.echo(
        f"Run recorded, flags and coverage counted in {counted:.2f}s; "
        f"committed and search index updated in {committed:.2f}s."
    )
    # Checked on every run: a recorded status that its dates contradict, for an admin to correct.
    for line in disagree:
        click.echo(f"Framework status disagrees with its dates: {line}.")
