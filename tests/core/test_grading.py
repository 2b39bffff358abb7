"""Grading maths: weighted averages, the school's rounding threshold, the period forecast."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import grading
from core.diary import MarkView, scored
from core.grading import Change, Forecast, Scored, forecast, round_mark, weighted_average
from core.model import MarkValue

HALF = F(1, 2)
SIX = F(3, 5)


def s(points: int, weight: F | int = 1) -> Scored:
    return Scored(points, F(weight))


def plain(*points: int) -> list[Scored]:
    return [s(p) for p in points]


def after(marks: list[Scored], value: int, n: int, threshold: F) -> int:
    """The rounded mark once ``n`` more marks of ``value`` (weight 1) are added."""
    avg = weighted_average([*marks, *[s(value)] * n])
    assert avg is not None
    return round_mark(avg, threshold)


# --- weighted average ----------------------------------------------------------------------


def test_weighted_average_is_exact_with_weights() -> None:
    # 5 for a test (weight 2), 3 oral (1), 4 homework (1/2): (10 + 3 + 2) / 3.5
    avg = weighted_average([s(5, 2), s(3), s(4, HALF)])
    assert avg == F(30, 7)
    assert isinstance(avg, F)


def test_weighted_average_plain_and_empty() -> None:
    assert weighted_average(plain(4, 4, 3)) == F(11, 3)
    assert weighted_average([]) is None
    assert weighted_average([s(5, 0)]) is None


def test_weight_of_parses_decimal_text_exactly() -> None:
    assert grading.weight_of("0.5") == HALF
    assert grading.weight_of("1.25") == F(5, 4)
    assert grading.weight_of("2") == 2


# --- rounding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("average", "threshold", "mark"),
    [
        (F(5, 2), HALF, 3),  # 2.5 -> 3
        (F(7, 2), HALF, 4),  # 3.5 -> 4
        (F(449, 100), HALF, 4),  # 4.49 -> 4
        (F(7, 2), SIX, 3),  # 3.5 stays 3 with 0.6
        (F(71, 20), SIX, 3),  # 3.55 -> 3 with 0.6
        (F(18, 5), SIX, 4),  # 3.6 -> 4 with 0.6
        (F(23, 5), SIX, 5),  # 4.6 -> 5 with 0.6
        (F(59, 100), SIX, 1),  # 0.59: clamped up to 1
        (F(1, 4), HALF, 1),  # clamped up to 1
        (F(0), HALF, 1),
        (F(5), HALF, 5),
        (F(6), HALF, 5),  # clamped down to 5
        (F(11, 2), HALF, 5),
    ],
)
def test_round_mark(average: F, threshold: F, mark: int) -> None:
    assert round_mark(average, threshold) == mark


# --- forecast ------------------------------------------------------------------------------


def test_forecast_4_4_3() -> None:
    # 11/3 -> 4. Up: (11 + 5n) / (3 + n) >= 4.5 needs n = 5 (36/8 = 4.5).
    # Down: (11 + 2n) / (3 + n) < 3.5 already at n = 1 (13/4 = 3.25).
    assert forecast(plain(4, 4, 3), HALF, 3) == Forecast(
        F(11, 3), 4, 0, Change(5, 5, 5), Change(2, 1, 3)
    )


def test_one_more_5_keeps_4() -> None:
    # 4, 4, 3, 5 -> 16/4 = 4. Up: 16 + 5n >= 18 + 4.5n -> n = 4 (36/8).
    # Down: n = 1 gives 18/5 = 3.6 (still 4), n = 2 gives 20/6 = 3.33 -> 3.
    assert forecast(plain(4, 4, 3, 5), HALF, 3) == Forecast(
        F(4), 4, 0, Change(5, 4, 5), Change(2, 2, 3)
    )


def test_forecast_with_threshold_0_6() -> None:
    # 11/3 = 3.67 -> 4 still; up needs 4.6: 11 + 5n >= 13.8 + 4.6n -> n = 7 (46/10).
    assert forecast(plain(4, 4, 3), SIX, 3) == Forecast(
        F(11, 3), 4, 0, Change(5, 7, 5), Change(2, 1, 3)
    )


def test_forecast_with_weights() -> None:
    # 30/7 -> 4. Up: (15 + 5n) / (3.5 + n) >= 4.5 -> n = 2 (25/5.5 = 4.55).
    # Down: (15 + 2n) / (3.5 + n) < 3.5 -> n = 2 (19/5.5 = 3.45); n = 1 gives 17/4.5 = 3.78.
    assert forecast([s(5, 2), s(3), s(4, HALF)], HALF, 3) == Forecast(
        F(30, 7), 4, 0, Change(5, 2, 5), Change(2, 2, 3)
    )


def test_too_few_marks_gives_no_mark() -> None:
    assert forecast(plain(5, 5), HALF, 3) == Forecast(F(5), None, 1, None, None)
    assert forecast([], HALF, 3) == Forecast(None, None, 3, None, None)
    assert forecast([], HALF, 0) == Forecast(None, None, 0, None, None)
    assert forecast(plain(5, 5, 5), HALF, 3).marks_needed == 0


def test_top_mark_has_no_up_and_two_has_no_down() -> None:
    # 5, 5, 5: down (15 + 2n) / (3 + n) < 4.5 at n = 1 (17/4 = 4.25).
    assert forecast(plain(5, 5, 5), HALF, 3) == Forecast(F(5), 5, 0, None, Change(2, 1, 4))
    # 2, 2, 2: 2s never lower it; up (6 + 5n) / (3 + n) >= 2.5 at n = 1 (11/4).
    assert forecast(plain(2, 2, 2), HALF, 3) == Forecast(F(2), 2, 0, Change(5, 1, 3), None)


def test_no_change_within_reach_is_none() -> None:
    # One 3 of weight 100: 34 fives to reach 3.5, 101 twos to fall under 2.5.
    assert forecast([s(3, 100)], HALF, 1) == Forecast(F(3), 3, 0, None, None)
    assert after([s(3, 100)], 5, grading.MAX_LOOKAHEAD, HALF) == 3
    assert after([s(3, 100)], 5, 34, HALF) == 4


def _view(value: MarkValue, weight: F) -> MarkView:
    return MarkView(
        1, 1, date(2026, 11, 18), 1, "", value, 1, "", "", "", weight, "", "", datetime(2026, 1, 1)
    )


def test_marks_without_points_are_ignored() -> None:
    views = [
        _view(MarkValue.FOUR, F(1)),
        _view(MarkValue.PASS, F(2)),
        _view(MarkValue.EXEMPT, F(1)),
        _view(MarkValue.NOT_ASSESSED, F(1)),
        _view(MarkValue.FAIL, F(1)),
        _view(MarkValue.TWO, HALF),
    ]
    assert scored(views) == [s(4), s(2, HALF)]
    # (4 + 1) / 1.5; and only two marks count towards the minimum
    assert forecast(scored(views), HALF, 3) == Forecast(F(10, 3), None, 1, None, None)


# --- property: a stated change is exactly the first one --------------------------------------

marks_strategy = st.lists(
    st.builds(
        Scored,
        st.integers(1, 5),
        st.sampled_from([HALF, F(1), F(2), F(3)]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(
    marks=marks_strategy,
    threshold=st.sampled_from([HALF, SIX, F(7, 10), F(1)]),
    min_marks=st.integers(0, 4),
)
def test_changes_are_reached_after_exactly_count_marks(
    marks: list[Scored], threshold: F, min_marks: int
) -> None:
    result = forecast(marks, threshold, min_marks)
    if len(marks) < min_marks:
        assert result.mark is None and result.up is None and result.down is None
        assert result.marks_needed == min_marks - len(marks)
        return
    current = after(marks, 5, 0, threshold)
    assert result.mark == current
    assert result.marks_needed == 0
    for change, value in ((result.up, 5), (result.down, 2)):
        moved = (lambda m: m > current) if value == 5 else (lambda m: m < current)
        if change is None:
            # Out of reach (or at the edge): nothing within the lookahead moves it that way.
            assert not any(
                moved(after(marks, value, n, threshold))
                for n in range(1, grading.MAX_LOOKAHEAD + 1)
            )
            continue
        assert change.value == value
        assert change.count >= 1
        assert after(marks, value, change.count, threshold) == change.result
        assert after(marks, value, change.count - 1, threshold) == current
        assert moved(change.result)
