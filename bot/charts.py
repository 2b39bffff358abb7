"""Pictures for people who would rather look than read: marks over a period, per subject."""

from __future__ import annotations

import io
import math
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")  # no screen on a server; must come before pyplot
import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from bot.messages import N_
from core.diary import PeriodMarks
from locales import translations

AVERAGE = N_("average")
MARK = N_("mark")
COLUMNS = 3


def progress_png(pm: PeriodMarks, locale: str) -> bytes:
    """Each subject's marks as dots by date and its weighted average as a line."""
    gettext = translations(locale).gettext
    subjects = [s for s in pm.subjects if any(m.points for m in s.marks)]
    rows = max(1, math.ceil(len(subjects) / COLUMNS))
    fig, axes = plt.subplots(
        rows, COLUMNS, figsize=(12, 2.6 * rows), sharey=True, squeeze=False, dpi=80
    )
    try:
        for ax in axes.flat[len(subjects) :]:
            ax.axis("off")
        for ax, subject in zip(axes.flat, subjects, strict=False):
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
            ax.scatter(days, points, s=28, color="#1f77b4", zorder=3, label=gettext(MARK))
            ax.plot(days, averages, color="#ff7f0e", linewidth=2, label=gettext(AVERAGE))
            title = subject.subject_name
            if subject.average is not None:
                title += f" — {float(subject.average):.2f}".replace(
                    ".", "," if locale == "ru" else "."
                )
            ax.set_title(title, fontsize=10)
            ax.set_ylim(0.5, 5.5)
            ax.set_yticks([1, 2, 3, 4, 5])
            ax.set_xlim(pm.period.starts_on, pm.period.ends_on)
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%d.%m"))
            ax.tick_params(axis="x", labelsize=8)
            ax.grid(alpha=0.3)
        if subjects:
            axes.flat[0].legend(loc="lower left", fontsize=8)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
