"""Every repository query against hand-made data: the expected ids, and the very same answer
(ids and every field) from the in-memory fake that the core's tests use."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from core import model as m
from storage.db import Database
from tests.core.fakes import FakeStore
from tests.storage import dataset as ds
from tests.storage.dataset import (
    ANNA,
    C1A,
    C7A,
    C7A_OLD,
    C7B,
    C10A,
    ENG_GROUP,
    FATHER,
    IT_GROUP,
    IVANOV,
    IVANOV_ALEX,
    KOZLOV,
    L_10A,
    L_ENGLISH,
    L_LATER,
    L_MATHS,
    L_OLD,
    L_SUBST,
    L_SWAPPED,
    MARIA,
    MOTHER,
    OLEG,
    PETROVA,
    SENIOR,
    SIDOROV,
    YOLKIN,
    at,
)

D = date
NOV = lambda day: D(2026, 11, day)  # noqa: E731
G, S, ST = m.PersonRole.GUARDIAN, m.PersonRole.STUDENT, m.PersonRole.STAFF

# (repository, method, arguments, expected: ids in order, one id, None, or a frozenset)
QUERIES: list[tuple[str, str, tuple[Any, ...], Any]] = [
    ("schools", "first", (), 1),
    ("schools", "get", (2,), 2),
    ("schools", "get", (3,), None),
    ("work_types", "for_school", (1,), [40, 41]),
    ("work_types", "for_school", (2,), [42]),
    ("years", "containing", (NOV(16),), 10),
    ("years", "containing", (D(2026, 8, 31),), 9),
    ("years", "containing", (D(2026, 9, 1),), 10),
    ("years", "containing", (D(2030, 1, 1),), None),
    ("periods", "for_year", (10,), [21, 22, 20]),
    ("periods", "for_year", (9,), [23]),
    ("holidays", "for_year", (10,), [25, 24]),
    ("bells", "for_school", (1,), [31, 32, 30]),
    ("bells", "for_school", (2,), [33]),
    ("subjects", "for_school", (1,), [43, 44]),
    ("classes", "for_year", (10,), [C1A, C7A, C7B, C10A]),
    ("classes", "for_year", (9,), [C7A_OLD]),
    ("classes", "by_name", (10, 7, "А"), C7A),
    ("classes", "by_name", (9, 7, "А"), C7A_OLD),
    ("classes", "by_name", (10, 7, "В"), None),
    ("subgroups", "for_class", (C7A,), [ENG_GROUP, IT_GROUP]),
    ("subgroups", "member_ids", (ENG_GROUP,), [IVANOV, PETROVA]),
    ("subgroups", "member_ids", (72,), []),
    ("subgroups", "member_ids", (IT_GROUP,), [IVANOV, YOLKIN]),
    ("subgroups", "member_ids", (IT_GROUP, NOV(19)), [IVANOV]),
    ("subgroups", "member_ids", (IT_GROUP, NOV(20)), [IVANOV, YOLKIN]),
    ("subgroups", "of_student", (IVANOV,), frozenset({ENG_GROUP, IT_GROUP})),
    ("subgroups", "of_student", (SENIOR,), frozenset()),
    ("subgroups", "of_student", (YOLKIN,), frozenset({IT_GROUP})),
    ("subgroups", "of_student", (YOLKIN, NOV(19)), frozenset()),
    ("subgroups", "of_student", (IVANOV, NOV(19)), frozenset({ENG_GROUP, IT_GROUP})),
    ("subgroups", "memberships", ([YOLKIN, IVANOV],), [1, 3, 4]),
    ("subgroups", "memberships", ([],), []),
    ("staff", "many", ([MARIA, ANNA, 999, ANNA],), [ANNA, MARIA]),
    ("staff", "many", ([],), []),
    ("staff_roles", "for_staff", (ANNA,), [53, 55]),
    ("teachings", "for_staff", (ANNA,), [73, 74, 76]),
    ("teachings", "for_staff", (OLEG,), [75, 77]),
    ("teachings", "for_staff", (OLEG, NOV(10)), [75, 77]),
    ("teachings", "for_staff", (OLEG, NOV(11)), [75]),
    ("teachings", "for_class", (C7A,), [73, 75]),
    ("teachings", "for_class", (C7B,), [77]),
    ("teachings", "for_class", (C7B, NOV(16)), []),
    ("students", "in_class", (C7A,), [YOLKIN, IVANOV_ALEX, IVANOV, KOZLOV, PETROVA, SIDOROV]),
    ("students", "in_class", (C7A, NOV(15)), [YOLKIN, IVANOV, KOZLOV, PETROVA]),
    ("students", "in_class", (C7A, NOV(10)), [YOLKIN, IVANOV_ALEX, IVANOV, KOZLOV, PETROVA]),
    ("students", "in_class", (C7A, NOV(20)), [YOLKIN, IVANOV, PETROVA, SIDOROV]),
    ("students", "in_class", (C7A, D(2026, 8, 31)), [YOLKIN, IVANOV_ALEX, PETROVA]),
    ("students", "in_class", (C7B,), [KOZLOV]),
    ("students", "in_class", (C7B, NOV(15)), []),
    ("students", "in_class", (C7B, NOV(16)), [KOZLOV]),
    ("students", "in_class_between", (C7A, NOV(14), NOV(16)), [YOLKIN, IVANOV, KOZLOV, PETROVA]),
    ("students", "in_class_between", (C7B, NOV(1), NOV(15)), []),
    ("students", "in_class_between", (C7B, NOV(15), NOV(16)), [KOZLOV]),
    ("class_history", "for_student", (KOZLOV,), [87]),
    ("class_history", "for_student", (IVANOV,), []),
    ("class_history", "for_students", ([IVANOV, KOZLOV],), [87]),
    ("class_history", "between", (NOV(1), NOV(15)), [87]),
    ("class_history", "between", (NOV(16), NOV(30)), []),
    ("students", "many", ([SENIOR, PETROVA],), [PETROVA, SENIOR]),
    ("guardians", "many", ([FATHER],), [FATHER]),
    ("guardian_links", "for_guardian", (MOTHER,), [92, 93]),
    ("guardians", "with_links", (MOTHER,), (MOTHER, [92, 93])),
    ("guardians", "with_links", (999,), (None, [])),
    ("guardian_links", "for_student", (IVANOV,), [92, 94]),
    ("guardian_links", "for_student", (PETROVA,), [93]),
    ("guardian_links", "for_guardian", (FATHER,), [94]),
    ("guardians", "with_links", (FATHER,), (FATHER, [94])),
    ("timetable", "for_class", (C7A,), [97, 96, 95]),
    ("timetable", "for_school_year", (10,), [97, 96, 98, 95]),
    ("timetable", "for_school_year", (9,), [99]),
    ("lessons", "for_class", (C7A, NOV(16), NOV(18)), [L_SUBST, L_MATHS, L_ENGLISH, L_SWAPPED]),
    ("lessons", "for_class", (C7A, NOV(17), NOV(17)), [L_ENGLISH]),
    ("lessons", "for_class", (C10A, NOV(1), NOV(30)), [L_10A]),
    ("lessons", "for_teacher", (ANNA, NOV(16), NOV(20)), [L_MATHS, L_10A, L_SWAPPED, L_LATER]),
    ("lessons", "for_teacher", (MARIA, NOV(16), NOV(20)), [L_SUBST]),
    ("lessons", "for_teacher", (OLEG, NOV(16), NOV(20)), [L_ENGLISH]),
    ("lessons", "find", (C7A, NOV(17), 3, ENG_GROUP), L_ENGLISH),
    ("lessons", "find", (C7A, NOV(17), 3, None), None),
    ("lessons", "find", (C7A, NOV(16), 2, None), L_MATHS),
    ("lessons", "find", (C7A, NOV(16), 2, ENG_GROUP), None),
    ("lessons", "many", ([L_10A, L_MATHS, 999],), [L_MATHS, L_10A]),
    ("lessons", "many", ([],), []),
    ("lessons", "count_by_subject", (C7A, NOV(16), NOV(20), [ENG_GROUP]), {43: 3, 44: 1}),
    ("lessons", "count_by_subject", (C7A, NOV(16), NOV(20), [IT_GROUP]), {43: 3}),
    ("lessons", "count_by_subject", (C7A, NOV(16), NOV(20), []), {43: 3}),
    ("lessons", "count_by_subject", (C7A, NOV(21), NOV(30), []), {}),
    ("lessons", "between", (NOV(16), NOV(17)), [L_SUBST, L_MATHS, L_ENGLISH, L_10A]),
    ("lessons", "between", (NOV(21), NOV(30)), []),
    (
        "lessons",
        "with_records",
        ([L_MATHS, L_SWAPPED, L_LATER, L_OLD, 999],),
        frozenset({L_MATHS, L_LATER}),
    ),
    ("lessons", "with_records", ([],), frozenset()),
    ("homework", "for_lesson", (L_MATHS,), 110),
    ("homework", "for_lesson", (L_SWAPPED,), None),
    ("homework", "due_for_class", (C7A, NOV(17), NOV(20)), [114, 110, 111]),
    ("homework", "due_for_class", (C7A, NOV(1), NOV(30)), [114, 110, 111, 112]),
    ("homework", "due_for_class", (C10A, NOV(1), NOV(30)), [113]),
    ("homework", "for_lessons", ([L_SWAPPED, L_ENGLISH, L_MATHS],), [110, 111]),
    ("homework", "for_lessons", ([],), []),
    (
        "homework",
        "lessons_with_homework",
        ([L_SWAPPED, L_ENGLISH, L_MATHS],),
        frozenset({L_MATHS, L_ENGLISH}),
    ),
    ("homework", "lessons_with_homework", ([],), frozenset()),
    ("marks", "for_student", (IVANOV, NOV(16), NOV(18)), [120, 122, 126, 123]),
    ("marks", "for_student", (PETROVA, NOV(1), NOV(30)), [125]),
    ("marks", "lines_for_student", (IVANOV, NOV(16), NOV(18)), [120, 122, 126, 123]),
    ("marks", "lines_for_student", (PETROVA, NOV(1), NOV(30)), [125]),
    ("marks", "corrections", (IVANOV, NOV(1), NOV(30)), frozenset({122})),
    ("marks", "corrections", (IVANOV, NOV(17), NOV(30)), frozenset()),
    ("marks", "corrections", (PETROVA, NOV(1), NOV(30)), frozenset()),  # removed: no new mark
    ("marks", "for_lesson", (L_MATHS,), [120, 122, 125]),
    ("marks", "for_lesson", (L_SUBST,), [126]),
    ("marks", "history", (IVANOV,), [126, 121, 120, 122, 123, 124]),
    # by the work's day, newest first, then id (126 was typed in before 122, on the same day)
    ("marks", "latest", (IVANOV, 3), [124, 123, 126]),
    ("marks", "latest", (IVANOV, 10, {44}), [123]),
    ("marks", "latest", (IVANOV, 2, [43, 45]), [124, 126]),
    ("marks", "latest", (IVANOV, 5, []), []),
    ("marks", "latest", (IVANOV, 0), []),
    ("marks", "for_students", ([IVANOV, PETROVA], NOV(16), NOV(18)), [125, 120, 122, 126, 123]),
    ("marks", "for_students", ([IVANOV, PETROVA], NOV(16), NOV(18), 44), [123]),
    ("marks", "for_students", ([], NOV(16), NOV(18)), []),
    (
        "marks",
        "facts_for_students",
        ([IVANOV, PETROVA], NOV(16), NOV(18)),
        [125, 120, 122, 126, 123],
    ),
    ("marks", "facts_for_students", ([], NOV(16), NOV(18)), []),
    ("attendance", "find", (L_MATHS, IVANOV), 130),
    ("attendance", "find", (L_MATHS, PETROVA), None),
    ("attendance", "for_lesson", (L_MATHS,), [130]),
    ("attendance", "for_student", (IVANOV, NOV(16), NOV(18)), [130, 131]),
    ("attendance", "for_class", (C7A, NOV(16), NOV(18)), [130, 133, 131]),
    ("attendance", "for_class", (C10A, NOV(16), NOV(18)), [132]),
    ("finals", "for_student", (IVANOV, 10), [140]),
    ("finals", "for_student", (IVANOV, 9), [142]),
    ("finals", "for_student", (PETROVA, 10), [143]),
    ("finals", "lines_for_student", (IVANOV, 10), [140]),
    ("finals", "lines_for_student", (IVANOV, 9), [142]),
    ("finals", "for_students", ([PETROVA, IVANOV], 10), [140, 143]),
    ("finals", "for_students", ([PETROVA, IVANOV], 10, 43), [140, 143]),
    ("finals", "for_students", ([PETROVA, IVANOV], 10, 45), []),
    ("remarks", "for_student", (IVANOV, NOV(16), NOV(17)), [151, 150]),
    ("remarks", "for_student", (IVANOV, NOV(16), NOV(16)), [151]),
    ("remarks", "for_lesson", (L_MATHS,), [151, 152]),
    ("remarks", "for_lesson", (L_LATER,), []),
    ("audit", "for_student", (IVANOV,), [160, 161]),
    ("audit", "for_actor", (ANNA,), [160]),
    ("audit", "for_actor", (OLEG,), [162]),
    ("audit", "changes_between", (at(16), at(17), ["mark.correct", "period.close"]), [160, 162]),
    ("audit", "changes_between", (at(16, 12), at(17), ["mark.correct"]), []),
    ("final_acks", "for_students", ([PETROVA, IVANOV], 22), [1200, 1201]),
    ("final_acks", "for_students", ([IVANOV], 21), [1202]),
    ("invites", "by_hash", ("h1",), 180),
    ("invites", "by_hash", ("nope",), None),
    ("invites", "for_person", (G, MOTHER), [180]),
    ("invites", "for_person", (m.PersonRole.TEACHER, OLEG), [181]),
    ("invites", "for_person", (S, MOTHER), []),
    ("accounts", "by_external", ("telegram", "100"), 170),
    ("accounts", "by_external", ("max", "100"), 171),
    ("accounts", "by_external", ("telegram", "101"), None),
    ("accounts", "by_external_with_links", ("telegram", "100"), (170, [190])),
    ("accounts", "by_external_with_links", ("max", "100"), (171, [192, 193])),
    ("accounts", "by_external_with_links", ("telegram", "101"), (None, [])),
    ("account_links", "active_for_account", (170,), [190]),
    ("account_links", "active_for_account", (171,), [192, 193]),
    ("account_links", "active_for_person", (G, MOTHER), [190, 192]),
    ("account_links", "active_for_person", (S, IVANOV), []),
    ("account_links", "active_for_person", (ST, ANNA), [193]),
    ("account_links", "active_for_people", (G, [MOTHER, FATHER, 999]), [190, 192]),
    ("account_links", "active_for_people", (S, [IVANOV]), []),
    ("accounts", "many", ([171, 999, 170],), [170, 171]),
    ("guardian_links", "for_students", ([PETROVA, IVANOV],), [92, 93, 94]),
    ("guardian_links", "for_students", ([],), []),
    ("deliveries", "pending_in_group", ([170, 171], "marks:81"), [220, 222]),
    ("deliveries", "pending_in_group", ([171], "marks:80"), []),
    ("deliveries", "existing_keys", (["bc:200:170", "bc:200:999"],), frozenset({"bc:200:170"})),
    ("deliveries", "for_broadcast", (200,), [221, 224]),
    ("broadcasts", "for_class", (C7A,), [201, 200]),
    ("broadcasts", "for_class", (C10A,), []),
    ("letters", "for_student", (IVANOV,), [210, 211]),
    ("letters", "for_student", (PETROVA,), []),
    ("letters", "unanswered", (G, [MOTHER]), [211]),  # 210 was answered by 211
    ("letters", "unanswered", (ST, [MARIA]), []),
    ("letters", "unanswered", (G, []), []),
    ("journal_remarks", "open_for", (ANNA,), [1301, 1300]),  # by the date to fix them
    ("journal_remarks", "open_for", (MARIA,), []),  # hers is fixed
    ("journal_remarks", "open_all", (), [1301, 1300]),
    ("journal_remarks", "between", (at(15), at(17)), [1302, 1300]),
    ("journal_remarks", "between", (at(17), at(18)), [1301]),
    ("printouts", "for_class", (C7A,), [1311, 1310]),  # the newest first
    ("printouts", "for_class", (C7B,), [1312]),
    ("printouts", "for_class", (C10A,), []),
]

REPOS = sorted({q[0] for q in QUERIES})


def ids(found: Any) -> Any:
    if found is None or isinstance(found, frozenset | dict):
        return found
    if isinstance(found, tuple) and not hasattr(found, "_fields"):  # a pair, not a row
        return tuple(ids(x) for x in found)
    if isinstance(found, list):
        return [x if isinstance(x, int) else x.id for x in found]
    return found.id


def fields(found: Any) -> Any:
    if isinstance(found, list) or (isinstance(found, tuple) and not hasattr(found, "_fields")):
        return [fields(x) for x in found]
    if dataclasses.is_dataclass(found):
        return dataclasses.asdict(found)
    return found


async def test_every_query_answers_as_expected_and_as_the_fake(
    loaded: Database, fake: FakeStore
) -> None:
    wrong = []
    async with loaded.uow(readonly=True) as uow, fake.uow(readonly=True) as fuow:
        for repo, method, args, expected in QUERIES:
            got = await getattr(getattr(uow, repo), method)(*args)
            faked = await getattr(getattr(fuow, repo), method)(*args)
            if ids(got) != expected or ids(faked) != expected:
                wrong.append(f"{repo}.{method}{args}: sql {ids(got)}, fake {ids(faked)}")
            elif fields(got) != fields(faked):
                wrong.append(f"{repo}.{method}{args}: fields differ")
    assert not wrong, "\n".join(wrong)


async def test_list_all_matches_the_fake(loaded: Database, fake: FakeStore) -> None:
    async with loaded.uow(readonly=True) as uow, fake.uow() as fuow:
        for name in REPOS:
            got = await getattr(uow, name).list_all()
            faked = await getattr(fuow, name).list_all()
            assert ids(got) == ids(faked), name
            assert fields(got) == fields(faked), name
            assert ids(got) == sorted(ids(got)), name


async def test_every_port_method_is_covered() -> None:
    from core import ports

    covered = {(repo, method) for repo, method, _, _ in QUERIES}
    base = {"get", "add", "add_all", "list_all"}
    # tested on their own (here and in test_access_changes)
    writes = {"add_member", "remove", "claim", "mark_seen", "access_version"}
    hints = ports.UnitOfWork.__annotations__
    missing = []
    for repo, proto_name in hints.items():
        proto = getattr(ports, proto_name)
        for name in vars(proto):
            if name.startswith("_") or name in base | writes:
                continue
            if (repo, name) not in covered:
                missing.append(f"{repo}.{name}")
    assert not missing


async def test_remove_attendance(loaded: Database) -> None:
    async with loaded.uow() as uow:
        record = await uow.attendance.find(L_SUBST, PETROVA)
        assert record is not None
        await uow.attendance.remove(record)
        assert await uow.attendance.find(L_SUBST, PETROVA) is None
        assert ids(await uow.attendance.for_class(C7A, NOV(16), NOV(18))) == [130, 131]
        await uow.commit()
    async with loaded.uow(readonly=True) as uow:
        assert await uow.attendance.get(133) is None
        assert ids(await uow.attendance.for_lesson(L_SUBST)) == []


async def test_changes_are_seen_by_queries_before_commit(loaded: Database) -> None:
    async with loaded.uow() as uow:
        lesson = await uow.lessons.get(L_MATHS)
        assert lesson is not None
        lesson.substitute_id = OLEG
        assert ids(await uow.lessons.for_teacher(OLEG, NOV(16), NOV(16))) == [L_MATHS]
        student = await uow.students.get(SIDOROV)
        assert student is not None
        student.last_name = "Абрамов"
        assert ids(await uow.students.in_class(C7A))[:2] == [YOLKIN, SIDOROV]
        mark = await uow.marks.get(120)
        assert mark is not None
        mark.superseded_at = ds.at(18)
        assert ids(await uow.marks.for_lesson(L_MATHS)) == [122, 125]
        assert ids(await uow.marks.history(IVANOV))[2] == 120


async def test_two_concurrent_claims_of_one_code_only_one_wins(loaded: Database) -> None:
    """Two people redeeming the same code at once: exactly one gets it (also on PostgreSQL)."""
    import asyncio
    from datetime import UTC
    from datetime import datetime as dt

    at = dt(2026, 11, 18, 10, 0, tzinfo=UTC)

    async def redeem(account: int) -> bool:
        async with loaded.uow() as uow:
            invite = await uow.invites.by_hash("h2")  # not used yet
            assert invite is not None
            won = await uow.invites.claim(invite, at, account)
            await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
            await uow.commit()
            return won

    results = await asyncio.gather(redeem(170), redeem(171))
    assert sorted(results) == [False, True]
    async with loaded.uow() as uow:
        invite = await uow.invites.by_hash("h2")
        assert invite is not None and invite.used_by == (170 if results[0] else 171)
        assert not await uow.invites.claim(invite, at, 171)


@pytest.mark.parametrize("store", ["sql", "fake"])
async def test_mark_seen_moves_last_seen_forward_only(
    loaded: Database, fake: FakeStore, store: str
) -> None:
    from datetime import UTC, datetime, timedelta

    target = loaded if store == "sql" else fake
    async with target.uow(readonly=True) as uow:
        first, second = (await uow.accounts.list_all())[:2]
    early = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    late = early + timedelta(hours=2)
    async with target.uow() as uow:
        await uow.accounts.mark_seen({first.id: late, second.id: early, 999_999: late})
        await uow.commit()
    async with target.uow() as uow:
        await uow.accounts.mark_seen({first.id: early})  # older: kept as it is
        await uow.commit()
    async with target.uow(readonly=True) as uow:
        got = {a.id: a.last_seen_at for a in await uow.accounts.many([first.id, second.id])}
    assert got == {first.id: late, second.id: early}
