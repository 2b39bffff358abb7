"""Grading maths: the weighted average, rounding by the school's threshold and the forecast of
a period mark (003 reg.3 §3). Exact arithmetic: averages are Fractions, never floats."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

# How far "what would change it" looks ahead; past this a change is out of reach.
MAX_LOOKAHEAD = 30


@dataclass(frozen=True, slots=True)
class Scored:
    points: int
    weight: Fraction


@dataclass(frozen=True, slots=True)
class Change:
    """``count`` more marks of ``value`` (weight 1) move the period mark to ``result``."""

    value: int
    count: int
    result: int


@dataclass(frozen=True, slots=True)
class Forecast:
    average: Fraction | None
    mark: int | None  # None while fewer than the minimum number of marks
    marks_needed: int  # how many more marks before a period mark can be given
    up: Change | None  # the fewest 5s (or 4s) that raise the mark
    down: Change | None  # the fewest 2s that lower it


def weight_of(text: str) -> Fraction:
    return Fraction(text)


def _sums(marks: Iterable[Scored]) -> tuple[int, int, int]:
    """Σ points·weight and Σ weight over their common denominator, in integers: Fraction
    arithmetic costs microseconds an operation, and a class's forecast sums every mark."""
    items = [(m.points, m.weight.numerator, m.weight.denominator) for m in marks]
    common = math.lcm(*(d for _, _, d in items)) if items else 1
    total = sum(p * n * (common // d) for p, n, d in items)
    weights = sum(n * (common // d) for _, n, d in items)
    return total, weights, common


def weighted_average(marks: Iterable[Scored]) -> Fraction | None:
    total, weights, _ = _sums(marks)
    return Fraction(total, weights) if weights else None


def round_mark(average: Fraction, threshold: Fraction) -> int:
    """3.5 -> 4 with threshold 1/2; with 3/5 it takes 3.6. Clamped to 1..5."""
    return _rounded(average.numerator, average.denominator, threshold)


def _rounded(num: int, den: int, threshold: Fraction) -> int:
    """``round_mark(num / den)`` in integers (``den`` > 0)."""
    whole, rest = divmod(num, den)
    # rest / den >= a / b  <=>  rest · b >= a · den
    mark = whole + 1 if rest * threshold.denominator >= threshold.numerator * den else whole
    return max(1, min(5, mark))


def _first_change(
    total: int, weights: int, current: int, value: int, threshold: Fraction, scale: int
) -> Change | None:
    """The fewest marks of ``value`` (weight 1) after which the rounded mark leaves
    ``current``, solved in closed form over integers: ``total`` and ``weights`` are Σ
    points·weight and Σ weight times ``scale``, so each added mark adds ``value · scale`` and
    ``scale``. A Fraction loop costs ~15 µs a step, and a class's forecast runs this for every
    student."""
    a, b = threshold.numerator, threshold.denominator
    if value > current:
        bound = current * b + a  # from bound / b on, the mark is above ``current``
        if value * b <= bound:
            return None
        # the least n with (total + n·value·scale) / (weights + n·scale) >= bound / b
        count = -((total * b - bound * weights) // (scale * (value * b - bound)))
    else:
        bound = (current - 1) * b + a  # below bound / b, the mark is under ``current``
        if value * b >= bound:
            return None
        # the least n with (total + n·value·scale) / (weights + n·scale) < bound / b
        count = (total * b - bound * weights) // (scale * (bound - value * b)) + 1
    count = max(1, count)
    if count > MAX_LOOKAHEAD:
        return None
    after = _rounded(total + count * value * scale, weights + count * scale, threshold)
    return Change(value, count, after)


def forecast(marks: list[Scored], threshold: Fraction, min_marks: int) -> Forecast:
    total, weights, common = _sums(marks)
    average = Fraction(total, weights) if weights else None
    needed = max(0, min_marks - len(marks))
    if average is None or needed:
        return Forecast(average, None, needed, None, None)
    current = _rounded(total, weights, threshold)
    up = None
    if current < 5:
        up = _first_change(total, weights, current, 5, threshold, common)
    down = None
    if current > 2:
        down = _first_change(total, weights, current, 2, threshold, common)
    return Forecast(average, current, 0, up, down)
