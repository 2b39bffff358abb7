"""OneRoster bundles: the shared public fixtures (each imports or is refused with its file and
line) and the example bundle with homerooms, guardians, demographics and a gradebook."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from core.model import MarkValue
from storage.db import Database
from tests.admin.conftest import EXAMPLES, FIXTURES, import_oneroster, problems
from tests.admin.test_imports import snapshot

# What each public fixture does, and why: the defects are real.
REFUSED = {
    "catalyst/Test_full_data_set.zip": {
        ("enrollments.csv", 3, "role_mismatch"),  # a teacher enrolled as a student
        ("users.csv", 3, "agent_not_guardian"),  # a student's agent is a teacher
    },
    "catalyst/Test_minimal_data_set.zip": {
        ("classes.csv", 3, "class_without_grade"),  # a homeroom with no grade
        ("enrollments.csv", 3, "role_mismatch"),
        ("users.csv", 3, "student_without_class"),
    },
    "catalyst/oneroster_test_data.zip": {("users.csv", 2, "student_without_class")},
    "catalyst/v1p2_full_dataset.zip": {
        ("manifest.csv", 21, "bad_manifest_value"),  # file.scoreScales has no value
        ("manifest.csv", 22, "bad_manifest_value"),
        ("manifest.csv", 23, "bad_manifest_value"),
    },
    "oat-sa-v1p1": {("orgs.csv", 3, "several_schools")},
}


@pytest.mark.parametrize("fixture", sorted(REFUSED))
async def test_each_shared_fixture_is_refused_with_file_and_line(
    database: Database, clock, fixture: str
) -> None:
    before = await snapshot(database)
    report = await import_oneroster(database, clock, FIXTURES / fixture)
    assert not report.applied
    assert REFUSED[fixture] <= problems(report), report.errors
    assert all(p.line for p in report.errors if p.file != "")
    assert await snapshot(database) == before


async def test_oat_sa_with_its_school_chosen_still_lacks_classes(database: Database, clock) -> None:
    report = await import_oneroster(database, clock, FIXTURES / "oat-sa-v1p1", school="12345")
    assert ("users.csv", 2, "student_without_class") in problems(report)
    assert ("users.csv", 3, "student_without_class") not in problems(report)  # School 2


async def test_the_full_catalyst_set_imports_once_its_defects_are_fixed(
    database: Database, clock, tmp_path: Path
) -> None:
    import zipfile

    folder = tmp_path / "fixed"
    with zipfile.ZipFile(FIXTURES / "catalyst/Test_full_data_set.zip") as z:
        z.extractall(folder)
    users = (folder / "users.csv").read_text()
    users = users.replace(",usr-222-123456,12,", ",usr-222-1234561,12,")  # agents: the parent
    users = users.replace(",usr-222-987654,11,", ",,11,")
    (folder / "users.csv").write_text(users)
    enrollments = (folder / "enrollments.csv").read_text().splitlines()
    (folder / "enrollments.csv").write_text("\n".join(enrollments[:2] + enrollments[3:]) + "\n")
    sessions = (folder / "academicSessions.csv").read_text().splitlines()
    (folder / "academicSessions.csv").write_text("\n".join(sessions[:-1]) + "\n")
    report = await import_oneroster(database, clock, folder)
    assert report.applied, report.errors
    assert {w.code for w in report.warnings} >= {"org_not_school", "enrollment_skipped"}
    async with database.uow(readonly=True) as uow:
        students = {s.source_id: s for s in await uow.students.list_all()}
        assert set(students) == {"usr-222-66778899", "usr-222-1234561232", "usr-222-567891"}
        classes = {c.id: c.name for c in await uow.classes.list_all()}
        assert classes[students["usr-222-567891"].class_id] == "11"
        (school,) = await uow.schools.list_all()
        assert school.name == "History Department"
        (year,) = await uow.years.list_all()
        assert year.name == "2022/2023"


async def test_the_example_bundle_imports_with_guardians_subgroups_and_marks(
    database: Database, clock
) -> None:
    report = await import_oneroster(database, clock, EXAMPLES / "oneroster")
    assert report.applied, report.errors
    assert report.tally("student").added == 3
    assert report.tally("mark").added == 4
    async with database.uow(readonly=True) as uow:
        (year,) = await uow.years.list_all()
        assert (year.name, year.starts_on) == ("2026/2027", date(2026, 9, 1))
        periods = await uow.periods.for_year(year.id)
        assert [(p.kind.value, p.starts_on) for p in periods] == [
            ("half_year", date(2026, 9, 1)),
            ("half_year", date(2027, 1, 12)),
        ]
        c8 = await uow.classes.by_name(year.id, 8, "Б")
        assert c8 is not None
        staff = {s.source_id: s for s in await uow.staff.list_all()}
        assert c8.class_teacher_id == staff["u-t1"].id
        pupils = await uow.students.in_class(c8.id)
        assert [s.last_name for s in pupils] == ["Зайцев", "Лосева", "Орлов"]
        orlov = pupils[2]
        assert orlov.birth_date == date(2012, 4, 2)
        (group,) = await uow.subgroups.for_class(c8.id)
        assert group.name == "Англ. 8Б гр. 1"
        assert set(await uow.subgroups.member_ids(group.id)) == {pupils[1].id, orlov.id}
        teachings = {(t.staff_id, t.subgroup_id) for t in await uow.teachings.for_class(c8.id)}
        assert teachings == {(staff["u-t1"].id, None), (staff["u-t2"].id, group.id)}
        father = next(g for g in await uow.guardians.list_all() if g.source_id == "u-p1")
        (link,) = await uow.guardian_links.for_guardian(father.id)
        assert (link.student_id, link.relation) == (orlov.id, "parent")
        marks = await uow.marks.for_students([p.id for p in pupils], year.starts_on, year.ends_on)
        values = sorted((m.student_id, m.day, m.value) for m in marks)
        assert values == sorted(
            [
                (orlov.id, date(2026, 10, 1), MarkValue.FIVE),  # 92 of 100
                (pupils[1].id, date(2026, 10, 1), MarkValue.FOUR),  # 70 of 100
                (pupils[0].id, date(2026, 10, 1), MarkValue.TWO),  # 40 of 100
                (orlov.id, date(2026, 11, 16), MarkValue.FOUR),  # 4 of 5
            ]
        )
        lessons = await uow.lessons.for_class(c8.id, date(2026, 11, 16), date(2026, 11, 16))
        assert [(x.subgroup_id, x.teacher_id) for x in lessons] == [(group.id, staff["u-t2"].id)]


async def test_a_reimport_changes_nothing_and_a_new_score_supersedes_the_mark(
    database: Database, clock, tmp_path: Path
) -> None:
    await import_oneroster(database, clock, EXAMPLES / "oneroster")
    before = await snapshot(database)
    report = await import_oneroster(database, clock, EXAMPLES / "oneroster")
    assert report.applied and report.tally("mark").unchanged == 4
    assert all(t.added == t.changed == t.left == 0 for _, t in report.rows())
    after = await snapshot(database)
    assert {k for k in after if after[k] != before[k]} == {"audit_log"}
    folder = tmp_path / "bundle"
    shutil.copytree(EXAMPLES / "oneroster", folder)
    results = (folder / "results.csv").read_text()
    (folder / "results.csv").write_text(
        results.replace("li-2,u-s1,fully graded,4", "li-2,u-s1,fully graded,5")
    )
    report = await import_oneroster(database, clock, folder)
    assert report.applied, report.errors
    assert report.tally("mark").changed == 1
    users = (folder / "users.csv").read_text().replace("u-s3,,", "u-s3,tobedeleted,")
    (folder / "users.csv").write_text(users)
    report = await import_oneroster(database, clock, folder)
    assert report.applied, report.errors
    assert report.tally("student").left == 1
    assert ("results.csv", 4, "result_skipped") in {
        (w.file, w.line, w.code) for w in report.warnings
    }
    async with database.uow(readonly=True) as uow:
        people = {s.source_id: s for s in await uow.students.list_all()}
        assert people["u-s3"].left_on == date(2026, 11, 17)
        assert [(m.value, m.current) for m in await uow.marks.history(people["u-s3"].id)] == [
            (MarkValue.TWO, True)
        ]
        history = await uow.marks.history(people["u-s1"].id)
        eng = [(m.value, m.current) for m in history if m.day == date(2026, 11, 16)]
        assert eng == [(MarkValue.FOUR, False), (MarkValue.FIVE, True)]
        audit = await uow.audit.for_student(people["u-s1"].id)
        assert [(e.action, e.before, e.after, e.reason) for e in audit] == [
            ("mark.correct", "4", "5", "import")
        ]
