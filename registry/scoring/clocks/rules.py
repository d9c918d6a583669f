"""The assessment clock and evidence rules, version 1.1: the numbers, in one place, explained on
/assessment-clocks. Change a number here and bump CLOCK_METHOD_VERSION, as for the score method.

Procurement Act 2023, s.71: a contracting authority assesses a supplier's performance against
each KPI of a contract at least once in every 12 months, on the contract's termination, and
publishes a notice within 30 days of a breach. The SQL that applies these numbers is in
`registry.scoring.clocks.services`; the contradiction rule's SQL is in
`registry.scoring.assessments.evidence`.
"""

from __future__ import annotations

import datetime

from registry.scoring.assessments.models import Rating

# 1.1: clocks only where the Act applies (contracts that ended before it came into force are not
# applicable; no clock runs before it); units compared after normalisation (UNIT_VOCABULARY).
CLOCK_METHOD_VERSION = "1.1"
CITATION = "Procurement Act 2023, section 71"
CITATION_URL = "https://www.legislation.gov.uk/ukpga/2023/54/section/71"

# The Act, and with it the KPI assessment duty, came into force on this day (the Procurement Act
# 2023 (Commencement No. 3 and Transitional and Saving Provisions) Regulations 2024). The
# registry's transitional rule:
# - a contract that ended (its end date, or an earlier termination notice) before this day never
#   owed an assessment under the Act: its clocks are "not applicable", counted apart, never due;
# - a contract that runs past this day, under whichever regime it was awarded, is held to the
#   duty from this day: no clock runs from before it (the anchor is never earlier than this day),
#   so no assessment can fall due, or be overdue, for a time the Act did not govern. Such a
#   contract is not exempt because it was awarded under the old rules: the registry's purpose is
#   to show gaps in the record, and from this day the record is expected.
ACT_IN_FORCE = datetime.date(2025, 2, 24)
ACT_IN_FORCE_DAY = ACT_IN_FORCE.toordinal()

# At least every 12 months: each 12 months after the end of the last period assessed (or after
# the contract's start when none has been) must be assessed, and the assessment recorded within
# RECORDING_DAYS of the 12 months ending (the time a contract performance notice may take).
PERIOD_DAYS = 365
RECORDING_DAYS = 30
# On termination: due within this many days of the contract's end (its end date, or an earlier
# termination notice).
TERMINATION_DAYS = 30
# Within 30 days of a breach recorded on the contract after the last period assessed.
BREACH_DAYS = 30
# The review queue's "due soon" horizon.
DUE_SOON_DAYS = 30

# Clock states, as stored in the CSV and API (values) and shown on pages (labels).
CANNOT_COMPUTE = "cannot_compute"
COMPLETE = "complete"
OVERDUE = "overdue"
DUE_SOON = "due_soon"
SCHEDULED = "scheduled"
NOT_APPLICABLE = "not_applicable"
STATE_LABELS = {
    CANNOT_COMPUTE: "Cannot compute — start date missing",
    COMPLETE: "Final assessment done",
    OVERDUE: "Not assessed",
    DUE_SOON: "Due soon",
    SCHEDULED: "Not yet due",
    NOT_APPLICABLE: "Not applicable",
}
# Why a clock is not applicable (its due_reason).
ENDED_BEFORE_ACT = "ended_before_act"
# Which rule set the due date (the earliest applies).
REASON_LABELS = {
    "periodic": "12 months since the last period assessed (or the start)",
    "termination": "the contract ended or was terminated",
    "breach": "a breach was recorded",
    ENDED_BEFORE_ACT: (
        f"the contract ended before the Procurement Act 2023 came into force "
        f"({ACT_IN_FORCE:%-d %B %Y}), so no assessment was ever due under it"
    ),
}

# Evidence: a rating needs a narrative of at least this many characters.
MIN_NARRATIVE = 20
# Contradiction rule 2: a Good rating while at least this many other KPIs of the same contract,
# in periods overlapping its own, were measured missing their targets.
OTHER_MISSES_FOR_GOOD = 2
# Ratings that say the target was missed; Good says it was met. Other says neither.
BELOW_TARGET_RATINGS = (Rating.approaching, Rating.requires_improvement, Rating.inadequate)
DISTRIBUTION_RATINGS = tuple(Rating)

# Units are compared after normalisation (rule 1): each unit a KPI or measurement may be written
# in, lower case, under the name it is compared as. A unit is that name when it is one of these,
# or starts with one followed by a space ("% monthly availability" is percent). Units that still
# differ are not compared: the check says "Not checked: units differ".
UNIT_VOCABULARY: dict[str, tuple[str, ...]] = {
    "percent": ("%", "percent", "per cent", "percentage", "pct"),
    "hours": ("hour", "hours", "hr", "hrs"),
    "minutes": ("minute", "minutes", "min", "mins"),
    "days": ("day", "days", "calendar day", "calendar days"),
    "working days": ("working day", "working days", "business day", "business days"),
    "count": ("count", "number", "number of", "no.", "incidents", "items"),
    "pounds": ("£", "gbp", "pound", "pounds"),
}


def normalise_unit(unit: str | None) -> str | None:
    """The name a unit is compared under (None for none); the SQL is evidence.unit_name."""
    text = (unit or "").strip().lower()
    if not text:
        return None
    for name, spellings in UNIT_VOCABULARY.items():
        if any(text == s or text.startswith(s + " ") for s in spellings):
            return name
    return text
