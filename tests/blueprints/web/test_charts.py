"""Chart geometry: bars scale to the axis, the target line sits where the target bin starts."""

from __future__ import annotations

from decimal import Decimal

from blueprints.web.charts import HEIGHT, column_chart, share_chart


def test_columns_scale_to_a_round_top_and_mark_the_target() -> None:
    chart = column_chart(
        ["0-<5", "5-<10", "≥ 10"], [30, 70, 0], [False, False, True], marker_index=2
    )
    tallest = max(bar.height for bar in chart.bars)
    assert [tick.label for tick in chart.ticks] == ["0", "25", "50", "75", "100"]
    assert chart.bars[1].height == tallest
    assert chart.bars[0].height == round(tallest * 30 / 70, 1)
    assert chart.bars[2].height == 0
    assert chart.marker == chart.bars[2].x - 2  # the line starts the bin that reaches it
    assert all(0 <= bar.y <= HEIGHT for bar in chart.bars)


def test_a_tiny_count_has_no_repeated_axis_labels() -> None:
    chart = column_chart(["a", "b"], [1, 0], [False, True])
    labels = [tick.label for tick in chart.ticks]
    assert labels == ["0", "1"]


def test_shares_are_bars_of_the_plot_width_with_percent_labels() -> None:
    chart = share_chart(["Dinas A", "Dinas B"], [Decimal("0.5"), Decimal(1)], target_label="100%")
    half, full = chart.bars
    assert (half.value, full.value) == ("50%", "100%")
    assert half.width * 2 == full.width
    assert full.highlight
    assert not half.highlight
