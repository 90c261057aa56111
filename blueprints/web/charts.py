"""Charts drawn on the server as SVG geometry: no JavaScript, nothing from a CDN.

A view turns a service's figures into a chart here (coordinates only, no markup); the
template ``_charts.html`` draws it as inline SVG with a title and a description, and the page
repeats the numbers as a table, so a screen reader and a printout both get them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 640
HEIGHT = 240
MARGIN_LEFT = 48
MARGIN_BOTTOM = 36
MARGIN_TOP = 12
BAR_GAP = 4
ROW_HEIGHT = 22
LABEL_WIDTH = 200


@dataclass(frozen=True)
class Bar:
    """One bar: its box in the SVG's coordinates, its label and its value as text."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: str
    highlight: bool


@dataclass(frozen=True)
class Tick:
    """A value on the axis and where it sits."""

    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A bar chart ready to draw; ``marker`` is the x of the target line (None: none)."""

    width: float
    height: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    marker: float | None
    marker_label: str
    plot_left: float
    plot_bottom: float


def _nice_max(value: int) -> int:
    """The axis' top: the next of 1, 2, 5 x 10^n at or above ``value``."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def column_chart(
    labels: Sequence[str],
    counts: Sequence[int],
    highlighted: Sequence[bool],
    *,
    marker_index: int | None = None,
    marker_label: str = "",
) -> Chart:
    """Vertical bars of ``counts`` (a histogram); ``marker_index`` is where a line is drawn."""
    top = _nice_max(max([1, *counts]))
    plot_width = WIDTH - MARGIN_LEFT - 8
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    slot = plot_width / max(1, len(counts))
    bars = []
    for index, (label, count, highlight) in enumerate(
        zip(labels, counts, highlighted, strict=True)
    ):
        height = plot_height * count / top
        bars.append(
            Bar(
                x=round(MARGIN_LEFT + index * slot + BAR_GAP / 2, 1),
                y=round(MARGIN_TOP + plot_height - height, 1),
                width=round(slot - BAR_GAP, 1),
                height=round(height, 1),
                label=label,
                value=f"{count:,}".replace(",", "."),
                highlight=highlight,
            )
        )
    steps = min(4, top)  # a top of 1 or 2 people gets no repeated labels
    ticks = tuple(
        Tick(
            at=round(MARGIN_TOP + plot_height * (1 - part / steps), 1),
            label=f"{top * part // steps:,}".replace(",", "."),
        )
        for part in range(steps + 1)
    )
    marker = round(MARGIN_LEFT + marker_index * slot, 1) if marker_index is not None else None
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=tuple(bars),
        ticks=ticks,
        marker=marker,
        marker_label=marker_label,
        plot_left=MARGIN_LEFT,
        plot_bottom=MARGIN_TOP + plot_height,
    )


def share_chart(labels: Sequence[str], shares: Sequence[Decimal], *, target_label: str) -> Chart:
    """Horizontal bars of shares (0..1), one row per label, with a line at 100%."""
    plot_width = WIDTH - LABEL_WIDTH - 56
    bars = []
    for index, (label, share) in enumerate(zip(labels, shares, strict=True)):
        bars.append(
            Bar(
                x=LABEL_WIDTH,
                y=MARGIN_TOP + index * ROW_HEIGHT,
                width=round(plot_width * float(share), 1),
                height=ROW_HEIGHT - BAR_GAP,
                label=label,
                value=f"{float(share) * 100:.0f}%",
                highlight=share >= 1,
            )
        )
    height = MARGIN_TOP + len(bars) * ROW_HEIGHT + MARGIN_BOTTOM
    ticks = tuple(
        Tick(at=round(LABEL_WIDTH + plot_width * part / 4, 1), label=f"{part * 25}%")
        for part in range(5)
    )
    return Chart(
        width=WIDTH,
        height=height,
        bars=tuple(bars),
        ticks=ticks,
        marker=LABEL_WIDTH + plot_width,
        marker_label=target_label,
        plot_left=LABEL_WIDTH,
        plot_bottom=height - MARGIN_BOTTOM,
    )
