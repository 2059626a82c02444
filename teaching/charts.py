"""The geometry of the analytics page's charts, drawn as SVG by its templates.

Each function returns what `teaching/_chart.html` draws: the plot area, the y axis ticks,
the x axis labels, and one mark per value (a bar, or a point of a line) with its tooltip.
No style is set here: the page's stylesheet colours the classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 30  # margins around the plot, for the axes' labels
MAX_X_LABELS = 10


@dataclass
class Point:
    label: str  # the x axis value, e.g. "Mar 4" or "Week 2"
    value: float
    tooltip: str  # what a `<title>` says on hover, and screen readers


@dataclass
class Chart:
    kind: str  # "bar" or "line"
    title: str
    unit: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM
    y_ticks: list[dict] = field(default_factory=list)
    x_labels: list[dict] = field(default_factory=list)
    marks: list[dict] = field(default_factory=list)
    line: str = ""  # the polyline's points of a line chart
    empty: bool = True

    @property
    def label_y(self) -> int:
        return self.bottom + 18


def _nice_top(value: float) -> tuple[float, float]:
    """A round top for the y axis at or above `value`, and its tick step (1, 2 or 5 x 10^k,
    four or five ticks)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1.0)  # counts: no fractional ticks
    return step * math.ceil(value / step), step


def _format(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def chart(
    *, kind: str, title: str, unit: str, points: list[Point], top: float | None = None
) -> Chart:
    """A bar or line chart of `points`, left to right; the y axis from 0 to `top` (a round
    number above the largest value when not given: 100 for percentages)."""
    figure = Chart(kind=kind, title=title, unit=unit)
    figure.empty = not any(point.value for point in points)
    highest = max((point.value for point in points), default=0)
    if top is None:
        top, step = _nice_top(highest)
    else:
        step = top / 4
    plot_width = figure.right - figure.left
    plot_height = figure.bottom - figure.top

    def y_of(value: float) -> float:
        return round(figure.bottom - plot_height * value / top, 1)

    ticks = int(round(top / step))
    figure.y_ticks = [{"y": y_of(step * n), "label": _format(step * n)} for n in range(ticks + 1)]
    slot = plot_width / max(len(points), 1)
    every = max(1, math.ceil(len(points) / MAX_X_LABELS))
    coordinates = []
    for index, point in enumerate(points):
        centre = round(figure.left + slot * (index + 0.5), 1)
        y = y_of(point.value)
        mark = {"x": centre, "y": y, "label": point.label, "tooltip": point.tooltip}
        if kind == "bar":
            bar_width = max(1.0, round(slot * 0.7, 1))
            mark.update(
                x=round(centre - bar_width / 2, 1),
                width=bar_width,
                height=round(figure.bottom - y, 1),
            )
        coordinates.append(f"{centre},{y}")
        figure.marks.append(mark)
        # Counted from the end, so that the last label always shows: today, the last week.
        if (len(points) - 1 - index) % every == 0:
            figure.x_labels.append({"x": centre, "label": point.label})
    figure.line = " ".join(coordinates)
    return figure


def analytics_charts(analytics: dict) -> dict[str, Chart]:
    """The page's five charts of `teaching.analytics.course_analytics`."""
    daily = analytics["daily"]

    def per_day(key: str, noun: str) -> list[Point]:
        return [
            Point(
                label=day["date"].strftime("%b %-d"),
                value=day[key],
                tooltip=f"{day['date'].strftime('%a %b %-d')}: {day[key]:,} {noun}",
            )
            for day in daily
        ]

    funnel = [
        Point(
            label=_short(module["title"]),
            value=module["percent"] or 0,
            tooltip=(
                f"{module['title']}: completed by {module['completed']:,} "
                f"({_format(module['percent'] or 0)} % of the enrolled)"
            ),
        )
        for module in analytics["funnel"]
    ]
    retention = [
        Point(
            label=f"Week {week['week']}",
            value=week["percent"] or 0,
            tooltip=(
                f"Week {week['week']}: {week['active']:,} of {week['eligible']:,} students "
                f"active ({_format(week['percent'] or 0)} %)"
            ),
        )
        for week in analytics["retention"]
    ]
    return {
        "active": chart(
            kind="bar",
            title="Active students per day",
            unit="students",
            points=per_day("active_students", "active students"),
        ),
        "completions": chart(
            kind="bar",
            title="Lessons completed per day",
            unit="lessons",
            points=per_day("lessons_completed", "lessons completed"),
        ),
        "messages": chart(
            kind="bar",
            title="Messages per day",
            unit="messages",
            points=per_day("messages", "messages"),
        ),
        "funnel": chart(
            kind="bar",
            title="Completion by module (% of enrolled students)",
            unit="%",
            points=funnel,
            top=100,
        ),
        "retention": chart(
            kind="line",
            title="Retention by week after enrolling (% active)",
            unit="%",
            points=retention,
            top=100,
        ),
    }


def _short(title: str, length: int = 14) -> str:
    return title if len(title) <= length else title[: length - 1] + "…"


def duration_text(seconds: int | None) -> str:
    """A mean time to complete as people say it: "12.5 days", "5 h 20 min", "–" for none."""
    if seconds is None:
        return "–"
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
