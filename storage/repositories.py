"""SQL repositories for ``core.ports``: the same filtering and ordering as the in-memory fake.

Repositories never commit. ``add`` and ``add_all`` flush so ids are assigned at once. Ties in
an ordering are broken by id, the way the fake's stable sort over id order breaks them. Orders
by text (surnames, class letters) are applied in Python so they are codepoint orders on every
database, whatever its collation.

Each query is built once per repository class with bound parameters and reused: building a
statement costs more than running an indexed query on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import (
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    func,
    insert,
    inspect,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import ColumnElement

from core import model as m
from storage import tables as t

E = TypeVar("E")
P = bindparam

# From this many new entities on, ``add_all`` inserts with one Core executemany instead of
# the ORM's flush (which, on SQLite, inserts row by row to learn the ids).
BULK_MIN = 50

# Values per expanding IN list: PostgreSQL takes at most 32767 parameters in a statement.
_IN_CHUNK = 10_000

_STATEMENTS: dict[tuple[type, str], Select[Any]] = {}

# Ids are 32-bit integers (PostgreSQL's integer); callback data may carry any number.
MIN_ID, MAX_ID = -(2**31), 2**31 - 1


class SqlRepository(Generic[E]):
    entity: ClassVar[type]
    table: ClassVar[Table]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- the Repository protocol

    async def get(self, entity_id: int) -> E | None:
        if not MIN_ID <= entity_id <= MAX_ID:
            return None  # a forged button's id: no row has it, and PostgreSQL would refuse it
        return await self.session.get(self.entity, entity_id)

    async def add(self, entity: E) -> E:
        self.session.add(entity)
        await self.session.flush()
        return entity

    async def add_all(self, entities: Sequence[E]) -> None:
        fresh = [e for e in entities if inspect(e).transient]
        if len(fresh) < BULK_MIN:
            self.session.add_all(entities)
            await self.session.flush()
            return
        self.session.add_all([e for e in entities if not inspect(e).transient])
        await self.session.flush()
        await self._bulk_insert(fresh)

    async def list_all(self) -> list[E]:
        return await self._list(self._stmt("list_all", lambda c: self._select()))

    # -- helpers

    def _stmt(self, name: str, build: Callable[[Any], Select[Any]]) -> Select[Any]:
        key = (type(self), name)
        stmt = _STATEMENTS.get(key)
        if stmt is None:
            stmt = _STATEMENTS[key] = build(self.table.c)
        return stmt

    def _select(self, *where: ColumnElement[bool], order_by: Sequence[Any] = ()) -> Select[Any]:
        return select(self.entity).where(*where).order_by(*order_by, self.table.c.id)

    def _first(self, *where: ColumnElement[bool]) -> Select[Any]:
        return self._select(*where).limit(1)

    async def _list(self, stmt: Select[Any], **params: Any) -> list[E]:
        return list((await self.session.scalars(stmt, params)).all())

    async def _one(self, stmt: Select[Any], **params: Any) -> E | None:
        return (await self.session.scalars(stmt, params)).first()

    async def _many(self, ids: Sequence[int]) -> list[E]:
        stmt = self._stmt("many", lambda c: self._select(c.id.in_(P("ids", expanding=True))))
        return await self._in(stmt, ids, order=_by_id)

    async def _in(
        self, stmt: Select[Any], ids: Iterable[int], order: Callable[[Any], Any], **params: Any
    ) -> list[E]:
        """Run ``stmt`` for these values of its expanding ``ids`` parameter, in chunks small
        enough for any database; ``order`` restores the statement's order across chunks."""
        wanted = sorted(set(ids))
        if len(wanted) <= _IN_CHUNK:
            return await self._list(stmt, ids=wanted, **params) if wanted else []
        found: list[E] = []
        for i in range(0, len(wanted), _IN_CHUNK):
            found += await self._list(stmt, ids=wanted[i : i + _IN_CHUNK], **params)
        return sorted(found, key=order)

    async def _bulk_insert(self, fresh: list[E]) -> None:
        """Insert new entities with one executemany, then attach them as if loaded."""
        keys = [p.key for p in inspect(self.entity).column_attrs]
        need_ids = [e for e in fresh if e.id is None]  # type: ignore[attr-defined]
        if need_ids:
            explicit = max((e.id for e in fresh if e.id is not None), default=0)  # type: ignore[attr-defined]
            for e, new_id in zip(
                need_ids, await self._next_ids(len(need_ids), explicit), strict=True
            ):
                e.id = new_id  # type: ignore[attr-defined]
        rows = [{k: e.__dict__[k] for k in keys} for e in fresh]
        await self.session.execute(insert(self.table), rows)
        for e in fresh:
            make_transient_to_detached(e)
        self.session.add_all(fresh)

    async def _next_ids(self, count: int, above: int) -> list[int]:
        if self.session.get_bind().dialect.name == "postgresql":
            seq = func.pg_get_serial_sequence(self.table.name, "id")
            stmt = select(func.nextval(seq)).select_from(
                func.generate_series(1, count).table_valued("n")
            )
            return sorted((await self.session.scalars(stmt)).all())
        # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so no one else
        # can take these ids before we insert them.
        top = await self.session.scalar(select(func.coalesce(func.max(self.table.c.id), 0)))
        start = max(int(top or 0), above) + 1
        return list(range(start, start + count))


def _sorted(rows: list[E], key: Callable[[E], Any]) -> list[E]:
    return sorted(rows, key=key)  # stable: rows arrive in id order


def _by_id(e: Any) -> int:
    return e.id


def _by_student_day(e: Any) -> tuple[int, date, int]:
    return (e.student_id, e.day, e.id)


class _Removes:
    """For what a school's calendar or the planner may delete: never the journal's records."""

    session: AsyncSession

    async def remove(self, entities: Sequence[Any]) -> None:
        for entity in entities:
            await self.session.delete(entity)
        await self.session.flush()


class Schools(SqlRepository[m.School]):
    entity = m.School
    table = t.schools

    async def first(self) -> m.School | None:
        return await self._one(self._stmt("first", lambda c: self._first()))


class WorkTypes(SqlRepository[m.WorkType]):
    entity = m.WorkType
    table = t.work_types

    async def for_school(self, school_id: int) -> list[m.WorkType]:
        stmt = self._stmt("for_school", lambda c: self._select(c.school_id == P("school_id")))
        return await self._list(stmt, school_id=school_id)


class Years(SqlRepository[m.SchoolYear]):
    entity = m.SchoolYear
    table = t.school_years

    async def containing(self, day: date) -> m.SchoolYear | None:
        stmt = self._stmt(
            "containing", lambda c: self._first(c.starts_on <= P("day"), c.ends_on >= P("day"))
        )
        return await self._one(stmt, day=day)


class Periods(SqlRepository[m.Period]):
    entity = m.Period
    table = t.periods

    async def for_year(self, year_id: int) -> list[m.Period]:
        stmt = self._stmt(
            "for_year", lambda c: self._select(c.year_id == P("year_id"), order_by=[c.starts_on])
        )
        return await self._list(stmt, year_id=year_id)


class Holidays(_Removes, SqlRepository[m.Holiday]):
    entity = m.Holiday
    table = t.holidays

    async def for_year(self, year_id: int) -> list[m.Holiday]:
        stmt = self._stmt(
            "for_year", lambda c: self._select(c.year_id == P("year_id"), order_by=[c.starts_on])
        )
        return await self._list(stmt, year_id=year_id)


class Bells(SqlRepository[m.Bell]):
    entity = m.Bell
    table = t.bells

    async def for_school(self, school_id: int) -> list[m.Bell]:
        stmt = self._stmt(
            "for_school", lambda c: self._select(c.school_id == P("school_id"), order_by=[c.slot])
        )
        return await self._list(stmt, school_id=school_id)


class Subjects(SqlRepository[m.Subject]):
    entity = m.Subject
    table = t.subjects

    async def for_school(self, school_id: int) -> list[m.Subject]:
        stmt = self._stmt("for_school", lambda c: self._select(c.school_id == P("school_id")))
        return await self._list(stmt, school_id=school_id)


def _class_order(c: m.ClassGroup) -> tuple[int, str]:
    return (c.grade, c.letter)


class Classes(SqlRepository[m.ClassGroup]):
    entity = m.ClassGroup
    table = t.classes

    async def for_year(self, year_id: int) -> list[m.ClassGroup]:
        stmt = self._stmt("for_year", lambda c: self._select(c.year_id == P("year_id")))
        return _sorted(await self._list(stmt, year_id=year_id), _class_order)

    async def by_name(self, year_id: int, grade: int, letter: str) -> m.ClassGroup | None:
        stmt = self._stmt(
            "by_name",
            lambda c: self._first(
                c.year_id == P("year_id"), c.grade == P("grade"), c.letter == P("letter")
            ),
        )
        return await self._one(stmt, year_id=year_id, grade=grade, letter=letter)


class Subgroups(SqlRepository[m.Subgroup]):
    entity = m.Subgroup
    table = t.subgroups

    async def for_class(self, class_id: int) -> list[m.Subgroup]:
        stmt = self._stmt("for_class", lambda c: self._select(c.class_id == P("class_id")))
        return await self._list(stmt, class_id=class_id)

    async def add_member(self, member: m.SubgroupMember) -> None:
        self.session.add(member)
        await self.session.flush()

    async def member_ids(self, subgroup_id: int, on: date | None = None) -> list[int]:
        sm = t.subgroup_members.c
        if on is None:
            stmt = self._stmt(
                "member_ids",
                lambda c: (
                    select(sm.student_id).where(sm.subgroup_id == P("subgroup_id")).order_by(sm.id)
                ),
            )
            return list((await self.session.scalars(stmt, {"subgroup_id": subgroup_id})).all())
        stmt = self._stmt(
            "member_ids_on",
            lambda c: (
                select(sm.student_id)
                .where(sm.subgroup_id == P("subgroup_id"), *_dated(sm, "on"))
                .order_by(sm.id)
            ),
        )
        rows = await self.session.scalars(stmt, {"subgroup_id": subgroup_id, "on": on})
        return list(rows.all())

    async def of_student(self, student_id: int, on: date | None = None) -> frozenset[int]:
        sm = t.subgroup_members.c
        if on is None:
            stmt = self._stmt(
                "of_student",
                lambda c: select(sm.subgroup_id).where(sm.student_id == P("student_id")),
            )
            return frozenset((await self.session.scalars(stmt, {"student_id": student_id})).all())
        stmt = self._stmt(
            "of_student_on",
            lambda c: select(sm.subgroup_id).where(
                sm.student_id == P("student_id"), *_dated(sm, "on")
            ),
        )
        rows = await self.session.scalars(stmt, {"student_id": student_id, "on": on})
        return frozenset(rows.all())

    async def memberships(self, student_ids: Sequence[int]) -> list[m.SubgroupMember]:
        stmt = self._stmt(
            "memberships",
            lambda c: (
                select(m.SubgroupMember)
                .where(t.subgroup_members.c.student_id.in_(P("ids", expanding=True)))
                .order_by(t.subgroup_members.c.id)
            ),
        )
        return await self._in(stmt, student_ids, order=_by_id)  # type: ignore[return-value]


class StaffMembers(SqlRepository[m.Staff]):
    entity = m.Staff
    table = t.staff

    async def many(self, ids: Sequence[int]) -> list[m.Staff]:
        return await self._many(ids)


class StaffRoles(_Removes, SqlRepository[m.StaffRole]):
    entity = m.StaffRole
    table = t.staff_roles

    async def for_staff(self, staff_id: int) -> list[m.StaffRole]:
        stmt = self._stmt("for_staff", lambda c: self._select(c.staff_id == P("staff_id")))
        return await self._list(stmt, staff_id=staff_id)


class Teachings(SqlRepository[m.Teaching]):
    entity = m.Teaching
    table = t.teachings

    async def for_staff(self, staff_id: int, on: date | None = None) -> list[m.Teaching]:
        if on is None:
            stmt = self._stmt("for_staff", lambda c: self._select(c.staff_id == P("staff_id")))
            return await self._list(stmt, staff_id=staff_id)
        stmt = self._stmt(
            "for_staff_on", lambda c: self._select(c.staff_id == P("staff_id"), *_dated(c, "on"))
        )
        return await self._list(stmt, staff_id=staff_id, on=on)

    async def for_class(self, class_id: int, on: date | None = None) -> list[m.Teaching]:
        if on is None:
            stmt = self._stmt("for_class", lambda c: self._select(c.class_id == P("class_id")))
            return await self._list(stmt, class_id=class_id)
        stmt = self._stmt(
            "for_class_on", lambda c: self._select(c.class_id == P("class_id"), *_dated(c, "on"))
        )
        return await self._list(stmt, class_id=class_id, on=on)


def _dated(c: Any, on: str) -> tuple[ColumnElement[bool], ...]:
    """A row with nullable ``starts_on``/``ends_on`` (None: open) that covers the day ``on``."""
    return (
        or_(c.starts_on.is_(None), c.starts_on <= P(on)),
        or_(c.ends_on.is_(None), c.ends_on >= P(on)),
    )


def _student_order(s: m.Student) -> tuple[str, str]:
    return (s.last_name, s.first_name)


class Students(SqlRepository[m.Student]):
    entity = m.Student
    table = t.students

    async def in_class(self, class_id: int, on: date | None = None) -> list[m.Student]:
        h = t.class_history.c
        if on is None:

            def build_all(c: Any) -> Select[Any]:
                before = select(h.student_id).where(h.class_id == P("class_id"))
                return self._select(or_(c.class_id == P("class_id"), c.id.in_(before)))

            stmt = self._stmt("in_class", build_all)
            rows = await self._list(stmt, class_id=class_id)
            return _sorted(rows, _student_order)
        return await self.in_class_between(class_id, on, on)

    async def in_class_between(self, class_id: int, start: date, end: date) -> list[m.Student]:
        h = t.class_history.c

        def build(c: Any) -> Select[Any]:
            before = select(h.student_id).where(
                h.class_id == P("class_id"), h.starts_on <= P("end"), h.ends_on >= P("start")
            )
            now = and_(
                c.class_id == P("class_id"),
                or_(c.class_since.is_(None), c.class_since <= P("end")),
                or_(c.arrived_on.is_(None), c.arrived_on <= P("end")),
                or_(c.left_on.is_(None), c.left_on >= P("start")),
            )
            return self._select(or_(now, c.id.in_(before)))

        stmt = self._stmt("in_class_between", build)
        rows = await self._list(stmt, class_id=class_id, start=start, end=end)
        return _sorted(rows, _student_order)

    async def many(self, ids: Sequence[int]) -> list[m.Student]:
        return await self._many(ids)


async def _with_children(
    session: AsyncSession, stmt: Select[Any], params: dict[str, Any]
) -> tuple[Any, list[Any]]:
    """One row outer-joined to its children, read in one query: (the row or None, children)."""
    rows = (await session.execute(stmt, params)).all()
    if not rows:
        return None, []
    return rows[0][0], [child for _, child in rows if child is not None]


class ClassHistory(_Removes, SqlRepository[m.ClassMembership]):
    entity = m.ClassMembership
    table = t.class_history

    async def for_student(self, student_id: int) -> list[m.ClassMembership]:
        stmt = self._stmt(
            "for_student",
            lambda c: self._select(c.student_id == P("student_id"), order_by=[c.starts_on]),
        )
        return await self._list(stmt, student_id=student_id)

    async def for_students(self, student_ids: Sequence[int]) -> list[m.ClassMembership]:
        stmt = self._stmt(
            "for_students", lambda c: self._select(c.student_id.in_(P("ids", expanding=True)))
        )
        return await self._in(stmt, student_ids, order=_by_id)

    async def between(self, start: date, end: date) -> list[m.ClassMembership]:
        stmt = self._stmt(
            "between",
            lambda c: self._select(c.ends_on >= P("start"), c.starts_on <= P("end")),
        )
        return await self._list(stmt, start=start, end=end)


class Guardians(SqlRepository[m.Guardian]):
    entity = m.Guardian
    table = t.guardians

    async def many(self, ids: Sequence[int]) -> list[m.Guardian]:
        return await self._many(ids)

    async def with_links(self, guardian_id: int) -> tuple[m.Guardian | None, list[m.GuardianLink]]:
        def build(c: Any) -> Select[Any]:
            gl = t.guardian_links.c
            return (
                select(m.Guardian, m.GuardianLink)
                .outerjoin(m.GuardianLink, (gl.guardian_id == c.id) & gl.ended_at.is_(None))
                .where(c.id == P("guardian_id"))
                .order_by(gl.id)
            )

        stmt = self._stmt("with_links", build)
        return await _with_children(self.session, stmt, {"guardian_id": guardian_id})


class GuardianLinks(SqlRepository[m.GuardianLink]):
    entity = m.GuardianLink
    table = t.guardian_links

    # Ended links are history: only ``list_all`` returns them.

    async def for_guardian(self, guardian_id: int) -> list[m.GuardianLink]:
        stmt = self._stmt(
            "for_guardian",
            lambda c: self._select(c.guardian_id == P("guardian_id"), c.ended_at.is_(None)),
        )
        return await self._list(stmt, guardian_id=guardian_id)

    async def for_student(self, student_id: int) -> list[m.GuardianLink]:
        stmt = self._stmt(
            "for_student",
            lambda c: self._select(c.student_id == P("student_id"), c.ended_at.is_(None)),
        )
        return await self._list(stmt, student_id=student_id)

    async def for_students(self, student_ids: Sequence[int]) -> list[m.GuardianLink]:
        stmt = self._stmt(
            "for_students",
            lambda c: self._select(
                c.student_id.in_(P("ids", expanding=True)), c.ended_at.is_(None)
            ),
        )
        return await self._in(stmt, student_ids, order=_by_id)


class Timetable(SqlRepository[m.TimetableEntry]):
    entity = m.TimetableEntry
    table = t.timetable_entries

    async def for_class(self, class_id: int) -> list[m.TimetableEntry]:
        stmt = self._stmt(
            "for_class",
            lambda c: self._select(c.class_id == P("class_id"), order_by=[c.weekday, c.slot]),
        )
        return await self._list(stmt, class_id=class_id)

    async def for_school_year(self, year_id: int) -> list[m.TimetableEntry]:
        def build(c: Any) -> Select[Any]:
            of_year = select(t.classes.c.id).where(t.classes.c.year_id == P("year_id"))
            return self._select(c.class_id.in_(of_year), order_by=[c.weekday, c.slot])

        stmt = self._stmt("for_school_year", build)
        return await self._list(stmt, year_id=year_id)


class Lessons(_Removes, SqlRepository[m.Lesson]):
    entity = m.Lesson
    table = t.lessons

    async def for_class(self, class_id: int, start: date, end: date) -> list[m.Lesson]:
        # Subgroup lessons carry their class's id, so they are included.
        stmt = self._stmt(
            "for_class",
            lambda c: self._select(
                c.class_id == P("class_id"),
                c.day >= P("start"),
                c.day <= P("end"),
                order_by=[c.day, c.slot],
            ),
        )
        return await self._list(stmt, class_id=class_id, start=start, end=end)

    async def for_teacher(self, staff_id: int, start: date, end: date) -> list[m.Lesson]:
        # Lesson.conducted_by: the substitute when there is one, else the teacher.
        stmt = self._stmt(
            "for_teacher",
            lambda c: self._select(
                or_(
                    c.substitute_id == P("staff_id"),
                    and_(c.substitute_id.is_(None), c.teacher_id == P("staff_id")),
                ),
                c.day >= P("start"),
                c.day <= P("end"),
                order_by=[c.day, c.slot],
            ),
        )
        return await self._list(stmt, staff_id=staff_id, start=start, end=end)

    async def find(
        self, class_id: int, day: date, slot: int, subgroup_id: int | None
    ) -> m.Lesson | None:
        if subgroup_id is None:
            stmt = self._stmt(
                "find_whole_class",
                lambda c: self._first(
                    c.class_id == P("class_id"),
                    c.day == P("day"),
                    c.slot == P("slot"),
                    c.subgroup_id.is_(None),
                ),
            )
            return await self._one(stmt, class_id=class_id, day=day, slot=slot)
        stmt = self._stmt(
            "find_subgroup",
            lambda c: self._first(
                c.class_id == P("class_id"),
                c.day == P("day"),
                c.slot == P("slot"),
                c.subgroup_id == P("subgroup_id"),
            ),
        )
        return await self._one(stmt, class_id=class_id, day=day, slot=slot, subgroup_id=subgroup_id)

    async def many(self, ids: Sequence[int]) -> list[m.Lesson]:
        return await self._many(ids)

    async def count_by_subject(
        self, class_id: int, start: date, end: date, subgroup_ids: Collection[int]
    ) -> dict[int, int]:
        def build(c: Any) -> Select[Any]:
            return (
                select(c.subject_id, func.count())
                .where(
                    c.class_id == P("class_id"),
                    c.day >= P("start"),
                    c.day <= P("end"),
                    c.status != m.LessonStatus.CANCELLED,
                    or_(c.subgroup_id.is_(None), c.subgroup_id.in_(P("groups", expanding=True))),
                )
                .group_by(c.subject_id)
                .order_by(c.subject_id)
            )

        stmt = self._stmt("count_by_subject", build)
        params = {"class_id": class_id, "start": start, "end": end}
        rows = await self.session.execute(stmt, {**params, "groups": sorted(set(subgroup_ids))})
        return {subject_id: count for subject_id, count in rows}

    async def between(self, start: date, end: date) -> list[m.Lesson]:
        stmt = self._stmt(
            "between",
            lambda c: self._select(
                c.day >= P("start"), c.day <= P("end"), order_by=[c.class_id, c.day, c.slot]
            ),
        )
        return await self._list(stmt, start=start, end=end)

    async def with_records(self, lesson_ids: Sequence[int]) -> frozenset[int]:
        """One query over marks (superseded ones too), attendance, remarks and homework."""

        def build(_: Any) -> Any:
            ids = P("ids", expanding=True)
            return union(
                *(
                    select(table.c.lesson_id).where(table.c.lesson_id.in_(ids))
                    for table in (t.marks, t.attendance, t.remarks, t.homework)
                )
            )

        stmt = self._stmt("with_records", build)
        found: set[int] = set()
        wanted = sorted(set(lesson_ids))
        for i in range(0, len(wanted), _IN_CHUNK):
            rows = await self.session.scalars(stmt, {"ids": wanted[i : i + _IN_CHUNK]})
            found.update(rows.all())
        return frozenset(found)


class HomeworkItems(SqlRepository[m.Homework]):
    entity = m.Homework
    table = t.homework

    async def for_lesson(self, lesson_id: int) -> m.Homework | None:
        stmt = self._stmt("for_lesson", lambda c: self._first(c.lesson_id == P("lesson_id")))
        return await self._one(stmt, lesson_id=lesson_id)

    async def due_for_class(self, class_id: int, start: date, end: date) -> list[m.Homework]:
        stmt = self._stmt(
            "due_for_class",
            lambda c: self._select(
                c.class_id == P("class_id"),
                c.due_on >= P("start"),
                c.due_on <= P("end"),
                order_by=[c.due_on],
            ),
        )
        return await self._list(stmt, class_id=class_id, start=start, end=end)

    async def for_lessons(self, lesson_ids: Sequence[int]) -> list[m.Homework]:
        stmt = self._stmt(
            "for_lessons", lambda c: self._select(c.lesson_id.in_(P("ids", expanding=True)))
        )
        return await self._in(stmt, lesson_ids, order=_by_id)

    async def lessons_with_homework(self, lesson_ids: Sequence[int]) -> frozenset[int]:
        stmt = self._stmt(
            "lessons_with_homework",
            lambda c: (
                select(c.lesson_id).distinct().where(c.lesson_id.in_(P("ids", expanding=True)))
            ),
        )
        wanted = sorted(set(lesson_ids))
        found: set[int] = set()
        for i in range(0, len(wanted), _IN_CHUNK):
            found.update(await self.session.scalars(stmt, {"ids": wanted[i : i + _IN_CHUNK]}))
        return frozenset(found)


class Marks(SqlRepository[m.Mark]):
    entity = m.Mark
    table = t.marks

    async def for_student(self, student_id: int, start: date, end: date) -> list[m.Mark]:
        stmt = self._stmt(
            "for_student",
            lambda c: self._select(
                c.student_id == P("student_id"),
                c.day >= P("start"),
                c.day <= P("end"),
                c.superseded_at.is_(None),
                order_by=[c.day],
            ),
        )
        return await self._list(stmt, student_id=student_id, start=start, end=end)

    async def lines_for_student(self, student_id: int, start: date, end: date) -> list[m.MarkLine]:
        def build(c: Any) -> Select[Any]:
            return (
                select(*(c[name] for name in m.MarkLine._fields))
                .where(
                    c.student_id == P("student_id"),
                    c.day >= P("start"),
                    c.day <= P("end"),
                    c.superseded_at.is_(None),
                )
                .order_by(c.day, c.id)
            )

        rows = await self.session.execute(
            self._stmt("lines_for_student", build),
            {"student_id": student_id, "start": start, "end": end},
        )
        return [m.MarkLine._make(row) for row in rows]

    async def facts_for_students(
        self, student_ids: Sequence[int], start: date, end: date
    ) -> list[m.MarkFact]:
        def build(c: Any) -> Select[Any]:
            return (
                select(*(c[name] for name in m.MarkFact._fields))
                .where(
                    c.student_id.in_(P("ids", expanding=True)),
                    c.day >= P("start"),
                    c.day <= P("end"),
                    c.superseded_at.is_(None),
                )
                .order_by(c.student_id, c.day, c.id)
            )

        stmt = self._stmt("facts_for_students", build)
        wanted = sorted(set(student_ids))
        found: list[m.MarkFact] = []
        for i in range(0, len(wanted), _IN_CHUNK):
            rows = await self.session.execute(
                stmt, {"ids": wanted[i : i + _IN_CHUNK], "start": start, "end": end}
            )
            found += [m.MarkFact._make(row) for row in rows]
        return found

    async def corrections(self, student_id: int, start: date, end: date) -> frozenset[int]:
        stmt = self._stmt(
            "corrections",
            lambda c: select(c.superseded_by).where(
                c.student_id == P("student_id"),
                c.day >= P("start"),
                c.day <= P("end"),
                c.superseded_by.is_not(None),
            ),
        )
        params = {"student_id": student_id, "start": start, "end": end}
        return frozenset(await self.session.scalars(stmt, params))

    async def for_lesson(self, lesson_id: int) -> list[m.Mark]:
        stmt = self._stmt(
            "for_lesson",
            lambda c: self._select(c.lesson_id == P("lesson_id"), c.superseded_at.is_(None)),
        )
        return await self._list(stmt, lesson_id=lesson_id)

    async def history(self, student_id: int) -> list[m.Mark]:
        stmt = self._stmt(
            "history",
            lambda c: self._select(c.student_id == P("student_id"), order_by=[c.created_at]),
        )
        return await self._list(stmt, student_id=student_id)

    async def latest(
        self, student_id: int, limit: int, subject_ids: Collection[int] | None = None
    ) -> list[m.Mark]:
        def build(c: Any, subjects: bool) -> Select[Any]:
            where = [c.student_id == P("student_id"), c.superseded_at.is_(None)]
            if subjects:
                where.append(c.subject_id.in_(P("subject_ids", expanding=True)))
            return (
                select(self.entity)
                .where(*where)
                .order_by(c.day.desc(), c.id.desc())
                .limit(P("limit", type_=Integer))
            )

        if limit <= 0:
            return []
        if subject_ids is None:
            stmt = self._stmt("latest", lambda c: build(c, False))
            return await self._list(stmt, student_id=student_id, limit=limit)
        if not subject_ids:
            return []
        stmt = self._stmt("latest_of_subjects", lambda c: build(c, True))
        return await self._list(
            stmt, student_id=student_id, limit=limit, subject_ids=sorted(set(subject_ids))
        )

    async def for_students(
        self, student_ids: Sequence[int], start: date, end: date, subject_id: int | None = None
    ) -> list[m.Mark]:
        def build(c: Any, one_subject: bool) -> Select[Any]:
            where = [
                c.student_id.in_(P("ids", expanding=True)),
                c.day >= P("start"),
                c.day <= P("end"),
                c.superseded_at.is_(None),
            ]
            if one_subject:
                where.append(c.subject_id == P("subject_id"))
            return self._select(*where, order_by=[c.student_id, c.day])

        if subject_id is None:
            stmt = self._stmt("for_students", lambda c: build(c, False))
            return await self._in(stmt, student_ids, order=_by_student_day, start=start, end=end)
        stmt = self._stmt("for_students_of_subject", lambda c: build(c, True))
        return await self._in(
            stmt, student_ids, order=_by_student_day, start=start, end=end, subject_id=subject_id
        )


class Attendance(SqlRepository[m.AttendanceRecord]):
    entity = m.AttendanceRecord
    table = t.attendance

    async def find(self, lesson_id: int, student_id: int) -> m.AttendanceRecord | None:
        stmt = self._stmt(
            "find",
            lambda c: self._first(c.lesson_id == P("lesson_id"), c.student_id == P("student_id")),
        )
        return await self._one(stmt, lesson_id=lesson_id, student_id=student_id)

    async def remove(self, record: m.AttendanceRecord) -> None:
        # A parent's letter about this absence stays, no longer pointing at a record that is gone.
        await self.session.execute(
            update(t.letters)
            .where(t.letters.c.attendance_id == record.id)
            .values(attendance_id=None)
            .execution_options(synchronize_session=False)
        )
        for letter in self.session.identity_map.values():
            if isinstance(letter, m.Letter) and letter.attendance_id == record.id:
                set_committed_value(letter, "attendance_id", None)
        await self.session.delete(record)
        await self.session.flush()

    async def for_lesson(self, lesson_id: int) -> list[m.AttendanceRecord]:
        stmt = self._stmt("for_lesson", lambda c: self._select(c.lesson_id == P("lesson_id")))
        return await self._list(stmt, lesson_id=lesson_id)

    async def for_student(
        self, student_id: int, start: date, end: date
    ) -> list[m.AttendanceRecord]:
        stmt = self._stmt(
            "for_student",
            lambda c: self._select(
                c.student_id == P("student_id"),
                c.day >= P("start"),
                c.day <= P("end"),
                order_by=[c.day],
            ),
        )
        return await self._list(stmt, student_id=student_id, start=start, end=end)

    async def for_class(self, class_id: int, start: date, end: date) -> list[m.AttendanceRecord]:
        # By the lesson's class: subgroup lessons included.
        def build(c: Any) -> Select[Any]:
            of_class = select(t.lessons.c.id).where(t.lessons.c.class_id == P("class_id"))
            return self._select(
                c.lesson_id.in_(of_class),
                c.day >= P("start"),
                c.day <= P("end"),
                order_by=[c.day],
            )

        stmt = self._stmt("for_class", build)
        return await self._list(stmt, class_id=class_id, start=start, end=end)


class Finals(SqlRepository[m.FinalMark]):
    entity = m.FinalMark
    table = t.final_marks

    async def for_student(self, student_id: int, year_id: int) -> list[m.FinalMark]:
        stmt = self._stmt(
            "for_student",
            lambda c: self._select(
                c.student_id == P("student_id"),
                c.year_id == P("year_id"),
                c.superseded_at.is_(None),
            ),
        )
        return await self._list(stmt, student_id=student_id, year_id=year_id)

    async def lines_for_student(self, student_id: int, year_id: int) -> list[m.FinalLine]:
        def build(c: Any) -> Select[Any]:
            return (
                select(*(c[name] for name in m.FinalLine._fields))
                .where(
                    c.student_id == P("student_id"),
                    c.year_id == P("year_id"),
                    c.superseded_at.is_(None),
                )
                .order_by(c.id)
            )

        rows = await self.session.execute(
            self._stmt("lines_for_student", build), {"student_id": student_id, "year_id": year_id}
        )
        return [m.FinalLine._make(row) for row in rows]

    async def for_students(
        self, student_ids: Sequence[int], year_id: int, subject_id: int | None = None
    ) -> list[m.FinalMark]:
        def build(c: Any, one_subject: bool) -> Select[Any]:
            where = [
                c.student_id.in_(P("ids", expanding=True)),
                c.year_id == P("year_id"),
                c.superseded_at.is_(None),
            ]
            if one_subject:
                where.append(c.subject_id == P("subject_id"))
            return self._select(*where)

        if subject_id is None:
            stmt = self._stmt("for_students", lambda c: build(c, False))
            return await self._in(stmt, student_ids, order=_by_id, year_id=year_id)
        stmt = self._stmt("for_students_of_subject", lambda c: build(c, True))
        return await self._in(
            stmt, student_ids, order=_by_id, year_id=year_id, subject_id=subject_id
        )


class Remarks(SqlRepository[m.Remark]):
    entity = m.Remark
    table = t.remarks

    async def for_student(self, student_id: int, start: date, end: date) -> list[m.Remark]:
        stmt = self._stmt(
            "for_student",
            lambda c: self._select(
                c.student_id == P("student_id"),
                c.day >= P("start"),
                c.day <= P("end"),
                order_by=[c.day],
            ),
        )
        return await self._list(stmt, student_id=student_id, start=start, end=end)

    async def for_lesson(self, lesson_id: int) -> list[m.Remark]:
        stmt = self._stmt("for_lesson", lambda c: self._select(c.lesson_id == P("lesson_id")))
        return await self._list(stmt, lesson_id=lesson_id)


class JournalRemarks(SqlRepository[m.JournalRemark]):
    entity = m.JournalRemark
    table = t.journal_remarks

    async def open_for(self, teacher_id: int) -> list[m.JournalRemark]:
        stmt = self._stmt(
            "open_for",
            lambda c: self._select(
                c.teacher_id == P("teacher_id"), c.fixed_at.is_(None), order_by=[c.due_on]
            ),
        )
        return await self._list(stmt, teacher_id=teacher_id)

    async def open_all(self) -> list[m.JournalRemark]:
        stmt = self._stmt(
            "open_all", lambda c: self._select(c.fixed_at.is_(None), order_by=[c.due_on])
        )
        return await self._list(stmt)

    async def between(self, start: datetime, end: datetime) -> list[m.JournalRemark]:
        stmt = self._stmt(
            "between",
            lambda c: self._select(
                c.created_at >= P("start"), c.created_at < P("end"), order_by=[c.created_at]
            ),
        )
        return await self._list(stmt, start=start, end=end)


class Audit(SqlRepository[m.AuditEntry]):
    entity = m.AuditEntry
    table = t.audit_log

    async def for_student(self, student_id: int, reads: bool | None = None) -> list[m.AuditEntry]:
        if reads is None:
            stmt = self._stmt(
                "for_student", lambda c: self._select(c.student_id == P("student_id"))
            )
            return await self._list(stmt, student_id=student_id)
        stmt = self._stmt(
            "for_student_kind",
            lambda c: self._select(c.student_id == P("student_id"), c.is_read == P("reads")),
        )
        return await self._list(stmt, student_id=student_id, reads=reads)

    async def for_actor(self, staff_id: int) -> list[m.AuditEntry]:
        stmt = self._stmt("for_actor", lambda c: self._select(c.actor_id == P("staff_id")))
        return await self._list(stmt, staff_id=staff_id)

    async def changes_between(
        self, start: datetime, end: datetime, actions: Collection[str]
    ) -> list[m.AuditEntry]:
        stmt = self._stmt(
            "changes_between",
            lambda c: self._select(
                c.at >= P("start"),
                c.at < P("end"),
                c.is_read.is_(False),
                c.action.in_(P("actions", expanding=True)),
                order_by=[c.at],
            ),
        )
        return await self._list(stmt, start=start, end=end, actions=sorted(actions))


class FinalAcks(SqlRepository[m.FinalAck]):
    entity = m.FinalAck
    table = t.final_acks

    async def for_students(self, student_ids: Sequence[int], period_id: int) -> list[m.FinalAck]:
        stmt = self._stmt(
            "for_students",
            lambda c: self._select(
                c.student_id.in_(P("ids", expanding=True)),
                c.period_id == P("period_id"),
                order_by=[c.at],
            ),
        )
        return await self._in(stmt, student_ids, order=lambda a: (a.at, a.id), period_id=period_id)


class Invites(SqlRepository[m.Invite]):
    entity = m.Invite
    table = t.invites

    async def by_hash(self, code_hash: str) -> m.Invite | None:
        stmt = self._stmt("by_hash", lambda c: self._first(c.code_hash == P("code_hash")))
        return await self._one(stmt, code_hash=code_hash)

    async def for_person(self, role: m.PersonRole, person_id: int) -> list[m.Invite]:
        stmt = self._stmt(
            "for_person",
            lambda c: self._select(c.role == P("role"), c.person_id == P("person_id")).order_by(
                c.id
            ),
        )
        return await self._list(stmt, role=role, person_id=person_id)

    async def claim(self, invite: m.Invite, at: datetime, account_id: int) -> bool:
        # One conditional UPDATE: of two concurrent redeems of one code, only one wins, even
        # under PostgreSQL's READ COMMITTED (the second re-checks the row after the first).
        c = t.invites.c
        result = await self.session.execute(
            update(t.invites)
            .where(c.id == invite.id, c.used_at.is_(None), c.revoked_at.is_(None))
            .values(used_at=at, used_by=account_id)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return False
        set_committed_value(invite, "used_at", at)
        set_committed_value(invite, "used_by", account_id)
        return True


class Accounts(SqlRepository[m.Account]):
    entity = m.Account
    table = t.accounts

    async def by_external(self, messenger: str, external_id: str) -> m.Account | None:
        stmt = self._stmt(
            "by_external",
            lambda c: self._first(c.messenger == P("messenger"), c.external_id == P("external_id")),
        )
        return await self._one(stmt, messenger=messenger, external_id=external_id)

    async def many(self, ids: Sequence[int]) -> list[m.Account]:
        return await self._many(ids)

    async def by_external_with_links(
        self, messenger: str, external_id: str
    ) -> tuple[m.Account | None, list[m.AccountLink]]:
        def build(c: Any) -> Select[Any]:
            al = t.account_links.c
            return (
                select(m.Account, m.AccountLink)
                .outerjoin(m.AccountLink, (al.account_id == c.id) & al.unlinked_at.is_(None))
                .where(c.messenger == P("messenger"), c.external_id == P("external_id"))
                .order_by(al.id)  # (messenger, external_id) is unique: one account
            )

        stmt = self._stmt("by_external_with_links", build)
        params = {"messenger": messenger, "external_id": external_id}
        return await _with_children(self.session, stmt, params)

    async def mark_seen(self, seen: Mapping[int, datetime]) -> None:
        if not seen:
            return
        c = t.accounts.c
        stmt = (
            update(t.accounts)
            .where(c.id == P("account"), or_(c.last_seen_at.is_(None), c.last_seen_at < P("at")))
            .values(last_seen_at=P("at"))
            .execution_options(synchronize_session=False)
        )
        params = [{"account": i, "at": at} for i, at in sorted(seen.items())]
        await self.session.execute(stmt, params)

    async def access_version(self) -> int:
        return (await self.session.execute(_ACCESS_VERSION)).scalar_one()


_ACCESS_VERSION = select(t.access_changes.c.version).where(t.access_changes.c.id == 1)


class AccountLinks(SqlRepository[m.AccountLink]):
    entity = m.AccountLink
    table = t.account_links

    async def active_for_account(self, account_id: int) -> list[m.AccountLink]:
        stmt = self._stmt(
            "active_for_account",
            lambda c: self._select(c.account_id == P("account_id"), c.unlinked_at.is_(None)),
        )
        return await self._list(stmt, account_id=account_id)

    async def active_for_person(self, role: m.PersonRole, person_id: int) -> list[m.AccountLink]:
        stmt = self._stmt(
            "active_for_person",
            lambda c: self._select(
                c.role == P("role"), c.person_id == P("person_id"), c.unlinked_at.is_(None)
            ),
        )
        return await self._list(stmt, role=role, person_id=person_id)

    async def active_for_people(
        self, role: m.PersonRole, person_ids: Sequence[int]
    ) -> list[m.AccountLink]:
        stmt = self._stmt(
            "active_for_people",
            lambda c: self._select(
                c.role == P("role"),
                c.person_id.in_(P("ids", expanding=True)),
                c.unlinked_at.is_(None),
            ),
        )
        return await self._in(stmt, person_ids, order=_by_id, role=role)


class Deliveries(SqlRepository[m.Delivery]):
    entity = m.Delivery
    table = t.deliveries

    async def pending_in_group(
        self, account_ids: Sequence[int], group_key: str
    ) -> list[m.Delivery]:
        stmt = self._stmt(
            "pending_in_group",
            lambda c: self._select(
                c.account_id.in_(P("ids", expanding=True)),
                c.group_key == P("group_key"),
                c.status == m.DeliveryStatus.PENDING,
            ),
        )
        return await self._in(stmt, account_ids, order=_by_id, group_key=group_key)

    async def existing_keys(self, keys: Sequence[str]) -> frozenset[str]:
        c = t.deliveries.c
        stmt = self._stmt(
            "existing_keys",
            lambda _: select(c.dedup_key).where(c.dedup_key.in_(P("keys", expanding=True))),
        )
        found: set[str] = set()
        wanted = sorted(set(keys))
        for i in range(0, len(wanted), _IN_CHUNK):
            rows = await self.session.scalars(stmt, {"keys": wanted[i : i + _IN_CHUNK]})
            found.update(rows.all())
        return frozenset(found)

    async def for_broadcast(self, broadcast_id: int) -> list[m.Delivery]:
        stmt = self._stmt(
            "for_broadcast", lambda c: self._select(c.broadcast_id == P("broadcast_id"))
        )
        return await self._list(stmt, broadcast_id=broadcast_id)


class Broadcasts(SqlRepository[m.Broadcast]):
    entity = m.Broadcast
    table = t.broadcasts

    async def for_class(self, class_id: int) -> list[m.Broadcast]:
        stmt = self._stmt(
            "for_class",
            lambda c: (
                select(self.entity)
                .where(c.class_id == P("class_id"))
                .order_by(c.created_at.desc(), c.id.desc())
            ),
        )
        return await self._list(stmt, class_id=class_id)


class Letters(SqlRepository[m.Letter]):
    entity = m.Letter
    table = t.letters

    async def for_student(self, student_id: int) -> list[m.Letter]:
        stmt = self._stmt("for_student", lambda c: self._select(c.student_id == P("student_id")))
        return await self._list(stmt, student_id=student_id)

    async def unanswered(self, to_role: m.PersonRole, to_ids: Sequence[int]) -> list[m.Letter]:
        def build(c: Any) -> Select[Any]:
            answers = t.letters.alias("answers")
            answered = select(answers.c.id).where(answers.c.reply_to == c.id).exists()
            return self._select(
                c.to_role == P("role"), c.to_id.in_(P("ids", expanding=True)), ~answered
            )

        stmt = self._stmt("unanswered", build)
        return await self._list(stmt, role=to_role, ids=list(to_ids)) if to_ids else []


class Printouts(SqlRepository[m.Printout]):
    entity = m.Printout
    table = t.printouts

    async def for_class(self, class_id: int) -> list[m.Printout]:
        stmt = self._stmt(
            "for_class",
            lambda c: self._select(c.class_id == P("class_id"), order_by=[c.printed_at.desc()]),
        )
        return await self._list(stmt, class_id=class_id)


REPOSITORIES: dict[str, type[SqlRepository[Any]]] = {
    "schools": Schools,
    "work_types": WorkTypes,
    "years": Years,
    "periods": Periods,
    "holidays": Holidays,
    "bells": Bells,
    "subjects": Subjects,
    "classes": Classes,
    "subgroups": Subgroups,
    "staff": StaffMembers,
    "staff_roles": StaffRoles,
    "teachings": Teachings,
    "students": Students,
    "class_history": ClassHistory,
    "guardians": Guardians,
    "guardian_links": GuardianLinks,
    "timetable": Timetable,
    "lessons": Lessons,
    "homework": HomeworkItems,
    "marks": Marks,
    "attendance": Attendance,
    "finals": Finals,
    "remarks": Remarks,
    "journal_remarks": JournalRemarks,
    "audit": Audit,
    "invites": Invites,
    "accounts": Accounts,
    "account_links": AccountLinks,
    "deliveries": Deliveries,
    "broadcasts": Broadcasts,
    "letters": Letters,
    "final_acks": FinalAcks,
    "printouts": Printouts,
}
