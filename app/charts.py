"""Pictures for people who would rather look than read: one subject's marks over a period,
sized for a phone's screen (720×400 px, text as large as the phone's own)."""

from __future__ import annotations

import io
from datetime import timedelta
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")  # no screen on a server; must come before pyplot
import matplotlib.dates as mdates
from matplotlib.figure import Figure

from app.messages import N_
from core.diary import PeriodMarks, SubjectMarks
from locales import translations

AVERAGE = N_("average")
MARK = N_("mark")
WIDTH, HEIGHT, DPI = 7.2, 4.0, 100  # inches at 100 dpi: 720×400 px
COLOURS = {5: "#2ca02c", 4: "#1f77b4", 3: "#ff7f0e", 2: "#d62728", 1: "#d62728"}


def subject_png(pm: PeriodMarks, subject: SubjectMarks, locale: str) -> bytes:
    """The subject's marks as dots by date (coloured by value), its weighted average so far
    as a line; the period's dates along the bottom."""
    gettext = translations(locale).gettext
    days, points, averages = [], [], []
    total, weights = Fraction(0), Fraction(0)
    for m in subject.marks:
        if m.points is None:
            continue
        total += m.points * m.weight
        weights += m.weight
        days.append(m.day)
        points.append(m.points)
        averages.append(float(total / weights))
    # A Figure of its own, not pyplot's global state: charts may be drawn in several threads.
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    ax = fig.subplots()
    ax.plot(days, averages, color="#555555", linewidth=2.5, label=gettext(AVERAGE), zorder=2)
    ax.scatter(
        days,
        points,
        s=90,
        c=[COLOURS.get(p, "#1f77b4") for p in points],
        zorder=3,
        label=gettext(MARK),
    )
    ax.set_ylim(0.5, 5.5)
    ax.set_yticks([1, 2, 3, 4, 5])
    start, end = pm.period.starts_on, pm.period.ends_on
    ax.set_xlim(start - timedelta(days=1), end + timedelta(days=1))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d.%m"))
    ax.tick_params(labelsize=13)
    ax.grid(alpha=0.3)
    legend = ax.legend(loc="lower left", fontsize=12)
    legend.legend_handles[-1].set_color("#777777")  # the dots' key: any colour would mislead
    ax.set_title(subject.subject_name, fontsize=15)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
