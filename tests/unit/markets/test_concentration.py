"""Property tests of the concentration maths: HHI and CRn over supplier groups."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from registry.markets.concentration import by_group, concentration, leading

amounts = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.floats(min_value=0.01, max_value=1e9, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=30,
)


@given(st.floats(min_value=0.01, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_a_monopoly_has_hhi_10000(amount: float) -> None:
    result = concentration({"only": amount})
    assert math.isclose(result.hhi, 10_000)
    assert result.cr1 == result.cr2 == result.cr4 == 1.0


@given(st.integers(min_value=1, max_value=200), st.floats(min_value=0.01, max_value=1e9))
def test_n_equal_groups_have_hhi_10000_over_n(n: int, amount: float) -> None:
    result = concentration({i: amount for i in range(n)})
    assert math.isclose(result.hhi, 10_000 / n, rel_tol=1e-9)
    assert math.isclose(result.cr2, min(2, n) / n, rel_tol=1e-9)


@given(amounts, st.randoms(use_true_random=False))
def test_order_of_the_input_changes_nothing(values: dict[str, float], rnd: object) -> None:
    items = list(values.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    assert concentration(dict(items)) == concentration(values)


@given(amounts)
def test_hhi_and_ratios_stay_in_range(values: dict[str, float]) -> None:
    result = concentration(values)
    assert 10_000 / len(values) - 1e-6 <= result.hhi <= 10_000
    assert result.cr1 <= result.cr2 <= result.cr4 <= 1.0
    assert math.isclose(math.fsum(s.share for s in result.shares), 1.0)


@given(
    st.lists(st.floats(min_value=0.01, max_value=1e6), min_size=1, max_size=10),
    st.lists(st.floats(min_value=0.01, max_value=1e6), min_size=1, max_size=10),
)
def test_subsidiaries_count_as_their_group(parent_a: list[float], parent_b: list[float]) -> None:
    suppliers = {f"a{i}": v for i, v in enumerate(parent_a)} | {
        f"b{i}": v for i, v in enumerate(parent_b)
    }
    groups = {key: key[0] for key in suppliers}
    grouped = by_group(suppliers, groups)
    assert grouped == concentration({"a": math.fsum(parent_a), "b": math.fsum(parent_b)})
    assert grouped.participants == 2
    # Splitting a group into subsidiaries must never lower its measured concentration.
    assert grouped.hhi >= concentration(suppliers).hhi - 1e-6


def test_an_empty_market_is_all_zero_not_a_division_by_zero() -> None:
    for empty in ({}, {"a": 0}, {"a": 0, "b": 0}):
        result = concentration(empty)
        assert (result.hhi, result.cr1, result.cr2, result.cr4, result.shares) == (0, 0, 0, 0, ())


def test_gpsoc_shares_give_4374() -> None:
    assert concentration({"EMIS": 56, "TPP": 34, "Vision": 9, "Microtest": 1}).hhi == 4374.0


@given(st.dictionaries(st.integers(1, 10_000), st.integers(1, 5_000), min_size=1, max_size=40))
def test_leading_from_totals_matches_the_full_computation(buyers: dict[int, int]) -> None:
    # Buyer counts are whole numbers: the totals SQL gives make the same HHI to the last digit.
    full = concentration(buyers)
    top = [(s.key, s.amount) for s in full.shares[:4]]
    total, squares = sum(buyers.values()), sum(n * n for n in buyers.values())
    summary = leading(total, squares, len(buyers), top)
    assert (summary.hhi, summary.cr1, summary.cr2, summary.cr4) == (
        full.hhi,
        full.cr1,
        full.cr2,
        full.cr4,
    )
    assert summary.shares == full.shares[:4]
    assert summary.participants == full.participants
    assert summary.as_metrics() == full.as_metrics()


def test_leading_of_nothing_is_empty() -> None:
    assert leading(0, 0, 0, []) == concentration({})
