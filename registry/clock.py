"""The registry's one clock: the day it is, asked in one place.

Every "today" in the registry (a framework's shown status, a clock's days left, the day an
assessment period must have ended, the day a check counts exposure up to) is `today()`. It is the
date in UTC, never the server's local date, because every stored time is UTC (`registry.db.utcnow`):
a day taken from the local clock would disagree with those times for the hours either side of
midnight, so a page, a detector and a score run on the same instant could each see a different
day. Tests that need a fixed day pass one (`as_of`, `today=`) rather than patching this.
"""

from __future__ import annotations

import datetime


def today() -> datetime.date:
    """The date now in UTC (the day the stored UTC times fall on), whatever the server's zone."""
    return datetime.datetime.now(datetime.UTC).date()
