"""Charts of a class's year for the administration: results per period, absences per month."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no screen on a server; must come before pyplot
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from app.messages import N_
from core.access_admin import ClassYear
from locales import terms, translations

QUALITY = N_("Quality, %")
SUCCESS = N_("Success, %")
LATE = N_("Late")
RESULTS_TITLE = N_("{class_name}: results by period, {year}")
ATTENDANCE_TITLE = N_("{class_name}: lessons missed and late arrivals by month, {year}")
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
    labels = [terms.period(_, locale, r.kind, r.number) for r in data.results]
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


# Lessons missed, stacked by reason in the words of ``locales.terms``; lateness is not a
# missed lesson and stands beside them.
ABSENCES = (
    ("sick", terms.SICK, "#1f77b4"),
    ("excused", terms.EXCUSED, "#2ca02c"),
    ("unexcused", terms.UNEXCUSED, "#d62728"),
    ("no_reason", None, "#bbbbbb"),
)


def absence_stack(data: ClassYear) -> list[tuple[str | None, str, list[int]]]:
    """Per reason (None: no reason recorded yet): its colour and the lessons missed in each
    month."""
    return [
        (reason, color, [getattr(m, field) for m in data.attendance])
        for field, reason, color in ABSENCES
    ]


def attendance_png(data: ClassYear, locale: str) -> bytes:
    """Lessons missed per month, stacked by reason, with lateness as a bar of its own."""
    _ = translations(locale).gettext
    fig, ax = plt.subplots(figsize=(11, 4), dpi=80)
    labels = [m.month.strftime("%m.%Y") for m in data.attendance]
    xs = list(range(len(labels)))
    bottom = [0] * len(xs)
    for reason, color, values in absence_stack(data):
        label = terms.capital(terms.reason(_, reason))
        ax.bar([x - 0.2 for x in xs], values, 0.4, bottom=bottom, color=color, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    late = [m.late for m in data.attendance]
    ax.bar([x + 0.2 for x in xs], late, 0.4, color="#ff7f0e", label=_(LATE))
    ax.set_xticks(xs, labels, rotation=45, fontsize=8)
    ax.set_ylabel(_(LESSONS))
    ax.set_ylim(0, max([*bottom, *late, 1]) * 1.1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(_(ATTENDANCE_TITLE).format(class_name=data.class_name, year=data.year))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # beside, not over bars
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)
