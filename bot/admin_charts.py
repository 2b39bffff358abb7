"""Charts of a class's year for the administration: results per period, absences per month."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no screen on a server; must come before pyplot
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from bot.messages import N_
from core.access_admin import ClassYear
from locales import translations

QUALITY = N_("Quality, %")
SUCCESS = N_("Success, %")
PERIOD = N_("Period {n}")
SICK = N_("Sick")
EXCUSED = N_("Excused")
UNEXCUSED = N_("Unexcused")
LATE = N_("Late")
RESULTS_TITLE = N_("{class_name}: results by period, {year}")
ATTENDANCE_TITLE = N_("{class_name}: lessons missed by month, {year}")
LESSONS = N_("lessons")


def _png(fig) -> bytes:
    try:
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def results_png(data: ClassYear, locale: str) -> bytes:
    """Quality and success per period as grouped bars."""
    _ = translations(locale).gettext
    fig, ax = plt.subplots(figsize=(8, 4), dpi=80)
    labels = [_(PERIOD).format(n=r.number) for r in data.results]
    xs = range(len(labels))
    quality = [r.quality for r in data.results]
    success = [r.success for r in data.results]
    ax.bar([x - 0.2 for x in xs], quality, width=0.4, color="#2ca02c", label=_(QUALITY))
    ax.bar([x + 0.2 for x in xs], success, width=0.4, color="#1f77b4", label=_(SUCCESS))
    for x, q, s in zip(xs, quality, success, strict=True):
        ax.annotate(f"{q:g}", (x - 0.2, q), ha="center", va="bottom", fontsize=8)
        ax.annotate(f"{s:g}", (x + 0.2, s), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(xs), labels)
    ax.set_ylim(0, 110)
    ax.set_title(_(RESULTS_TITLE).format(class_name=data.class_name, year=data.year))
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def attendance_png(data: ClassYear, locale: str) -> bytes:
    """Lessons missed per month, stacked by reason, and lateness."""
    _ = translations(locale).gettext
    fig, ax = plt.subplots(figsize=(9, 4), dpi=80)
    labels = [m.month.strftime("%m.%Y") for m in data.attendance]
    xs = list(range(len(labels)))
    bottom = [0] * len(xs)
    for field, label, color in (
        ("sick", SICK, "#1f77b4"),
        ("excused", EXCUSED, "#2ca02c"),
        ("unexcused", UNEXCUSED, "#d62728"),
        ("late", LATE, "#ff7f0e"),
    ):
        values = [getattr(m, field) for m in data.attendance]
        ax.bar(xs, values, bottom=bottom, color=color, label=_(label))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(xs, labels, rotation=45, fontsize=8)
    ax.set_ylabel(_(LESSONS))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(_(ATTENDANCE_TITLE).format(class_name=data.class_name, year=data.year))
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)
