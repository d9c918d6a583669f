"""The assessment clock and evidence rules, version 1.0: the numbers, in one place, explained on
/assessment-clocks. Change a number here and bump CLOCK_METHOD_VERSION, as for the score method.

Procurement Act 2023, s.71: a contracting authority assesses a supplier's performance against
each KPI of a contract at least once in every 12 months, on the contract's termination, and
publishes a notice within 30 days of a breach. The SQL that applies these numbers is in
`registry.scoring.clocks`; the contradiction rule's SQL is in `registry.scoring.evidence`.
"""

from __future__ import annotations

from registry.scoring.models import Rating

CLOCK_METHOD_VERSION = "1.0"
CITATION = "Procurement Act 2023, section 71"
CITATION_URL = "https://www.legislation.gov.uk/ukpga/2023/54/section/71"

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
STATE_LABELS = {
    CANNOT_COMPUTE: "Cannot compute — start date missing",
    COMPLETE: "Final assessment done",
    OVERDUE: "Not assessed",
    DUE_SOON: "Due soon",
    SCHEDULED: "Not yet due",
}
# Which rule set the due date (the earliest applies).
REASON_LABELS = {
    "periodic": "12 months since the last period assessed (or the start)",
    "termination": "the contract ended or was terminated",
    "breach": "a breach was recorded",
}

# Evidence: a rating needs a narrative of at least this many characters.
MIN_NARRATIVE = 20
# Contradiction rule 2: a Good rating while at least this many other KPIs of the same contract,
# in periods overlapping its own, were measured missing their targets.
OTHER_MISSES_FOR_GOOD = 2
# Ratings that say the target was missed; Good says it was met. Other says neither.
BELOW_TARGET_RATINGS = (Rating.approaching, Rating.requires_improvement, Rating.inadequate)
DISTRIBUTION_RATINGS = tuple(Rating)
