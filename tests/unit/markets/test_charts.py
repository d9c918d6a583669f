"""The chart geometry and market keys."""

from __future__ import annotations

from registry.markets.charts import PLOT_WIDTH, bar_chart, line_chart
from registry.markets.cpv import cpv_name
from registry.markets.services import MarketKey


def test_bars_are_as_long_as_their_share() -> None:
    chart = bar_chart([("EMIS", 0.56), ("TPP", 0.34), ("A very long group name indeed, plc", 0.1)])
    assert [round(bar.width, 1) for bar in chart.bars] == [
        round(s * PLOT_WIDTH, 1) for s in (0.56, 0.34, 0.1)
    ]
    assert chart.bars[2].label.endswith("…") and len(chart.bars[2].label) == 30
    assert chart.height > chart.bars[-1].y + chart.bars[-1].height


def test_line_chart_scales_hhi_and_thins_year_labels() -> None:
    chart = line_chart([(2000 + i, 10_000 * i / 29) for i in range(30)], threshold=1800)
    assert chart.dots[0].y == chart.bottom and chart.dots[-1].y == chart.top
    assert len(chart.x_ticks) <= 13 and chart.x_ticks[-1].label == "2029"
    assert chart.top < chart.threshold_y < chart.bottom  # type: ignore[operator]
    single = line_chart([(2016, 4374.0)])
    assert single.dots[0].x == (single.left + single.right) / 2


def test_market_keys() -> None:
    assert MarketKey.parse("cpv-48814") == MarketKey("cpv", "48814")
    assert str(MarketKey.parse("lot-12")) == "lot-12"
    for bad in ("cpv-4", "cpv-123456789", "lot-", "lot-x", "48814", "cpv-48814 "):
        assert MarketKey.parse(bad) is None
    assert cpv_name("48814") == "Medical information systems"
    assert cpv_name("72261") == "Software programming and consultancy services"
    assert cpv_name("99999") is None
