"""Market figures are aggregates over every published contract, the same for every reader: each
app process keeps them for `registry.markets.cache_seconds` (0, the default, computes them on
every request; production.ini keeps them five minutes, as fresh as the nightly detection needs). The flag pages
keep the detectors' coverage counts the same way: they change only when detection runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from pyramid.exceptions import ConfigurationError
from pyramid.request import Request

SETTING = "registry.markets.cache_seconds"
MAX_ENTRIES = 2_000  # markets x views: bounded, so a crawler cannot grow it without end
T = TypeVar("T")


class TimedCache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}  # key: (expires, value)
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.seconds <= 0:
            return compute()
        now = self.clock()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = compute()  # outside the lock: two requests may compute it once each, no harm
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
            self._entries[key] = (now + self.seconds, value)
        return value


def cache_seconds(settings: dict[str, Any]) -> float:
    raw = str(settings.get(SETTING, "0")).strip()
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise ConfigurationError(f"{SETTING} must be a number of seconds (0 or more), not {raw!r}")
    return seconds


def cached(request: Request, key: Hashable, compute: Callable[[], T]) -> T:
    """Kept per data version: a write is seen at once, so a page whose ETag says it is current
    (issue 21) never shows figures from before it."""
    cache: TimedCache = request.registry["registry.markets.cache"]
    if cache.seconds <= 0:
        return compute()
    return cache.get((key, request.data_version), compute)
