"""The per-process cache of market figures: kept for the configured seconds, then recomputed."""

from __future__ import annotations

import pytest
from pyramid.exceptions import ConfigurationError

from registry.markets.cache import TimedCache, cache_seconds


def test_figures_are_kept_for_the_configured_time_then_recomputed() -> None:
    now = [100.0]
    cache = TimedCache(60, clock=lambda: now[0])
    computed: list[int] = []

    def compute() -> int:
        computed.append(len(computed) + 1)
        return computed[-1]

    assert cache.get("cpv-48180", compute) == 1
    now[0] += 59
    assert cache.get("cpv-48180", compute) == 1  # still fresh: not recomputed
    assert cache.get("cpv-72260", compute) == 2  # another market has its own entry
    now[0] += 2
    assert cache.get("cpv-48180", compute) == 3  # expired


def test_zero_seconds_computes_on_every_request() -> None:
    cache = TimedCache(0)
    assert [cache.get("k", lambda: object()) is not None for _ in range(2)] == [True, True]
    assert cache._entries == {}


@pytest.mark.parametrize("raw", ["-1", "soon"])
def test_a_bad_setting_stops_start_up_naming_it(raw: str) -> None:
    with pytest.raises(ConfigurationError, match=r"registry\.markets\.cache_seconds"):
        cache_seconds({"registry.markets.cache_seconds": raw})
    assert cache_seconds({}) == 0
