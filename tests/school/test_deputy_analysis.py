"""The deputy's control, second half (#14 item 4; 004 §5.6, 003 reg.2 §2.2.3, §2.3.1), on a
school imported from its own files: the weekly journal analysis reaches each deputy as a push
with the workbook made at send time (per teacher and per class), once a week, and nobody else;
a deputy whose role ended gets nothing, even from a push written before; the preliminary
results go out two weeks before the period ends, and on no other day; the substitution log;
the report screens refuse a class teacher and a subject teacher."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from openpyxl import load_workbook

from bot.push_files import push_files
from bot.telegram.sender import AiogramSender
from core.access import SYSTEM
from core.control import ControlReports
from core.errors import AccessDenied
from core.model import AttendanceKind, DeliveryStatus, MarkValue, PersonRole
from core.reports import ReportService
from core.school_admin import SchoolAdminService
from handlers.admin_reports import ReportCb
from notifications.files import FileRefused
from notifications.jobs import Jobs
from notifications.worker import DeliveryWorker, WorkerSettings
from storage.delivery_queue import DeliveryQueue
from tests.school.test_access_ends import alerts
from tests.school.test_console import console  # noqa: F401 - the fixture
from tests.school.test_family_day import WORK_TYPES, _kind, _lesson
from tests.support import TgUser
from tests.support.school import TZ, ImportedSchool

DEPUTY = TgUser(7301, "Наталья")  # T-003: deputy head, teaches history
ADMIN = TgUser(7302, "Ирина")  # T-001: the journal administrator
DIRECTOR = TgUser(7303, "Виктор")  # T-002
CLASS_TEACHER = TgUser(7304, "Анна")  # T-004: maths; class teacher of 7А
ENGLISH = TgUser(7305, "Мария")  # T-006: English, no class of her own

MONDAY, TUESDAY, FRIDAY = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 4)
NEXT_MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=TZ)  # the weekly job's time
SMIRNOVA = "Смирнова Анна Петровна"


async def _staff(school: ImportedSchool) -> None:
    school.files.extra["work_types"] = WORK_TYPES
    report = await school.import_roster()
    assert report.applied, report.errors
    await SchoolAdminService(school.database.uow, school.clock).make_lessons(SYSTEM, MONDAY, FRIDAY)
    for user, source in (
        (DEPUTY, "T-003"),
        (ADMIN, "T-001"),
        (DIRECTOR, "T-002"),
        (CLASS_TEACHER, "T-004"),
        (ENGLISH, "T-006"),
    ):
        await school.link(user, PersonRole.STAFF, source)


async def _planted_week(school: ImportedSchool) -> None:
    """Every lesson of the week has its topic but 7А's maths on Tuesday (slot 2); one oral
    mark corrected three days after its lesson (entered late); one absence with no reason."""
    await _staff(school)
    async with school.database.uow() as uow:
        for cls in await uow.classes.list_all():
            for x in await uow.lessons.for_class(cls.id, MONDAY, FRIDAY):  # type: ignore[arg-type]
                if not (cls.name == "7А" and x.day == TUESDAY and x.slot == 2):
                    x.topic = "Тема урока"
        await uow.commit()
    journal = school.services.journal
    ivanov = await school.person_id(PersonRole.STUDENT, "K-01")
    petrova = await school.person_id(PersonRole.STUDENT, "K-02")
    school.clock.set(datetime(2026, 11, 30, 12, 0, tzinfo=TZ))
    oral = await _kind(school, "У")
    maths = await _lesson(school, "7А", MONDAY, 3)  # Смирнова's maths
    mark = await journal.give_mark(SYSTEM, maths, ivanov, MarkValue.FOUR, oral)
    first = await _lesson(school, "7А", MONDAY, 1)
    await journal.set_attendance(SYSTEM, first, petrova, AttendanceKind.ABSENT)
    school.clock.set(datetime(2026, 12, 3, 12, 0, tzinfo=TZ))
    await journal.correct_mark(SYSTEM, mark.id, MarkValue.FIVE, "Ошибка при вводе")  # type: ignore[arg-type]


async def _deliver(school: ImportedSchool) -> DeliveryWorker:
    worker = DeliveryWorker(
        DeliveryQueue(school.database),
        {"telegram": AiogramSender(school.tester.bot)},
        school.clock,
        WorkerSettings(rate=None, per_chat=0, poll=0.05, backoff=0.01, lease=30),
        files=push_files(school.database.uow, school.clock),
    )
    await worker.run_until_idle()
    return worker


async def _rows(school: ImportedSchool, kind: str) -> list:
    async with school.database.uow(readonly=True) as uow:
        return [r for r in await uow.deliveries.list_all() if r.kind == kind]


async def _account(school: ImportedSchool, user: TgUser) -> int:
    async with school.database.uow(readonly=True) as uow:
        account = await uow.accounts.by_external("telegram", str(user.id))
    assert account is not None
    return account.id  # type: ignore[return-value]


def _sheets(call: SendDocument) -> dict[str, list[tuple]]:
    assert isinstance(call.document, BufferedInputFile)
    book = load_workbook(io.BytesIO(call.document.data))
    return {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}


async def _drop_deputy_role(school: ImportedSchool) -> None:
    """Наталья Игоревна is no longer the deputy: the school's staff file says so, re-imported."""
    row = next(r for r in school.files.staff if r[0] == "T-003")
    row[4] = "teacher"
    report = await school.import_roster()
    assert report.applied, report.errors


# -- the weekly analysis ---------------------------------------------------------------------


async def test_the_weekly_analysis_reaches_each_deputy_once_with_the_workbook(
    school: ImportedSchool,
) -> None:
    await _planted_week(school)
    school.clock.set(NEXT_MONDAY)
    jobs = Jobs(school.database.uow, school.clock)
    assert await jobs.weekly_quality() == 1
    assert await jobs.weekly_quality() == 0  # the same week again: nothing new
    (row,) = await _rows(school, "quality_weekly")
    assert row.account_id == await _account(school, DEPUTY)  # not the director, admin, teachers

    worker = await _deliver(school)
    assert worker.stats["sent"] == 1, worker.stats
    (sent,) = school.tester.sent(SendDocument, DEPUTY)
    for user in (ADMIN, DIRECTOR, CLASS_TEACHER, ENGLISH):
        assert school.tester.sent(SendDocument, user) == []
    caption = sent.caption or ""
    assert "1 учитель не записал темы уроков" in caption, caption
    assert "1 отметка выставлена с опозданием" in caption, caption
    assert "1 пропуск без причины" in caption, caption
    assert sent.document.filename == "Качество ведения журнала, 05.11.2026 - 06.12.2026.xlsx"  # type: ignore[union-attr]

    sheets = _sheets(sent)
    assert list(sheets) == ["По учителям", "По классам"]
    teachers = sheets["По учителям"]
    header = teachers[2]
    col = {name: i for i, name in enumerate(header)}
    mine = [r for r in teachers[3:] if r[0] == SMIRNOVA and r[1] == "7А"]
    (maths,) = mine
    assert maths[col["Без темы"]] == 1 and maths[col["Отметки выставлены с опозданием"]] == 1
    others = [r for r in teachers[3:] if r not in mine]
    assert others and all(r[col["Без темы"]] == 0 for r in others)
    assert all(r[col["Отметки выставлены с опозданием"]] == 0 for r in others)
    classes = sheets["По классам"]
    col = {name: i for i, name in enumerate(classes[2])}
    by_class = {r[0]: r for r in classes[3:]}
    assert by_class["7А"][col["Классный руководитель"]] == SMIRNOVA
    assert by_class["7А"][col["Пропуски без причины"]] == 1
    assert by_class["7А"][col["Без темы"]] == 1
    assert by_class["6Б"][col["Пропуски без причины"]] == 0
    assert by_class["6Б"][col["Без темы"]] == 0


async def test_a_deputy_whose_role_ended_gets_nothing(school: ImportedSchool) -> None:
    await _planted_week(school)
    school.clock.set(NEXT_MONDAY)
    jobs = Jobs(school.database.uow, school.clock)
    assert await jobs.weekly_quality() == 1  # written while she was the deputy
    await _drop_deputy_role(school)

    worker = await _deliver(school)  # checked again when sent: she may not have it now
    assert worker.stats["skip"] == 1 and worker.stats["sent"] == 0, worker.stats
    assert school.tester.sent(SendDocument, DEPUTY) == []
    (row,) = await _rows(school, "quality_weekly")
    assert row.status == DeliveryStatus.SKIPPED

    # the next week: no deputy left, so the journal administrator gets it, and she does not
    school.clock.set(datetime(2026, 12, 14, 8, 0, tzinfo=TZ))
    assert await jobs.weekly_quality() == 1
    await _deliver(school)
    assert school.tester.sent(SendDocument, DEPUTY) == []
    (sent,) = school.tester.sent(SendDocument, ADMIN)
    assert "13.12.2026" in sent.document.filename  # type: ignore[union-attr]


async def test_the_analysis_is_for_the_administration_only(school: ImportedSchool) -> None:
    await _planted_week(school)
    control = ControlReports(ReportService(school.database.uow, school.clock))
    for user in (CLASS_TEACHER, ENGLISH):
        viewer = await school.services.viewers.get("telegram", str(user.id), True)
        with pytest.raises(AccessDenied):
            await control.quality(viewer, 2, FRIDAY)
    deputy = await school.services.viewers.get("telegram", str(DEPUTY.id), True)
    analysis = await control.quality(deputy, 2, FRIDAY)
    assert (analysis.teachers_without_topics, analysis.late_marks, analysis.unexplained) == (
        1,
        1,
        1,
    )


# -- the preliminary results -----------------------------------------------------------------


async def _marks(school: ImportedSchool) -> None:
    """In 7А's maths: Иванов three 2s (a 2 coming), Петрова one 5 (too few marks), Сидоров
    5 5 4 4 4 (4.4: near a 5)."""
    journal = school.services.journal
    oral = await _kind(school, "У")
    plan = {
        "K-01": ["2", "2", "2"],
        "K-02": ["5"],
        "K-03": ["5", "5", "4", "4", "4"],
    }
    school.clock.set(datetime(2026, 11, 30, 13, 30, tzinfo=TZ))
    maths = await _lesson(school, "7А", MONDAY, 3)
    for who, values in plan.items():
        student = await school.person_id(PersonRole.STUDENT, who)
        for value in values:
            await journal.give_mark(SYSTEM, maths, student, MarkValue(value), oral)


async def test_preliminary_results_two_weeks_before_the_period_ends(
    school: ImportedSchool,
) -> None:
    await _staff(school)
    await _marks(school)
    jobs = Jobs(school.database.uow, school.clock)
    # the second quarter ends on 28 December: the day is 14 December
    for day in (date(2026, 12, 13), date(2026, 12, 17)):
        school.clock.set(datetime.combine(day, datetime.min.time(), TZ).replace(hour=8))
        assert await jobs.preliminary_results() == 0, day
    school.clock.set(datetime(2026, 12, 14, 8, 10, tzinfo=TZ))
    written = await jobs.preliminary_results()
    assert written == 2  # 7А's class teacher (the others are not in the bot), the deputy
    assert await jobs.preliminary_results() == 0  # once
    await _deliver(school)

    text = school.tester.texts(CLASS_TEACHER)[-1]
    assert "Предварительные итоги, 7А" in text, text
    assert "Иванов Пётр Алексеевич, Математика: может получить 2" in text, text
    assert "Петрова Алёна Сергеевна, Математика: мало отметок для аттестации" in text, text
    assert "Сидоров Максим Олегович, Математика: близок к более высокой отметке" in text, text
    assert school.tester.sent(SendDocument, CLASS_TEACHER) == []

    (sent,) = school.tester.sent(SendDocument, DEPUTY)
    assert "7А" in (sent.caption or "")
    (sheet,) = _sheets(sent).values()
    lines = {(r[0], r[1], r[2]): r[6] for r in sheet[3:]}
    assert lines[("7А", "Иванов Пётр Алексеевич", "Математика")] == "Может получить 2"
    assert lines[("7А", "Петрова Алёна Сергеевна", "Математика")] == "Мало отметок для аттестации"
    assert (
        lines[("7А", "Сидоров Максим Олегович", "Математика")] == "Близок к более высокой отметке"
    )
    for user in (ADMIN, DIRECTOR, ENGLISH):
        assert school.tester.sent(SendDocument, user) == []


# -- the substitution log and the report screens ---------------------------------------------


async def test_the_substitution_log_and_who_may_ask_for_these_reports(
    school: ImportedSchool,
    console,  # noqa: F811
    tmp_path: Path,
) -> None:
    await _staff(school)
    # at the console, as the school records them (7А's Friday slot 4: maths)
    code, _out, err = await console(
        "lessons",
        "substitute",
        "--class",
        "7А",
        "--date",
        "2026-12-04",
        "--slot",
        "4",
        "--teacher",
        "T-006",
    )
    assert code == 0, err
    admin = SchoolAdminService(school.database.uow, school.clock)
    cancelled = await _lesson(school, "6Б", FRIDAY, 1)
    await admin.cancel_lesson(SYSTEM, cancelled, "Карантин")

    deputy = await school.services.viewers.get("telegram", str(DEPUTY.id), True)
    control = ControlReports(ReportService(school.database.uow, school.clock))
    table = await control.substitutions(deputy, MONDAY, FRIDAY)
    assert [r[:7] for r in table.rows] == [
        (FRIDAY, 1, "6Б", "Русский язык", "Кузнецов Олег Андреевич", "", "cancelled"),
        (FRIDAY, 4, "7А", "Математика", SMIRNOVA, "Белова Мария Ивановна", "substituted"),
    ]
    assert table.rows[0][7] == "Карантин"
    out = tmp_path / "substitutions.xlsx"
    code, _out, err = await console(
        "report", "substitutions", "--from", "2026-11-30", "--to", "2026-12-04", "--out", str(out)
    )
    assert code == 0, err
    cells = [c for row in load_workbook(out).active.iter_rows(values_only=True) for c in row]
    assert "Замена" in cells and "Кузнецов Олег Андреевич" in cells, cells

    await school.tester.click(ReportCb(kind="sb", period=2), user=DEPUTY, forged=True)
    (sent,) = school.tester.sent(SendDocument, DEPUTY)
    (sheet,) = _sheets(sent).values()
    cells = [c for row in sheet for c in row]
    assert "Замена" in cells and "Отменён" in cells and "Белова Мария Ивановна" in cells, cells
    await school.tester.click(ReportCb(kind="pr", period=2), user=DEPUTY, forged=True)
    assert len(school.tester.sent(SendDocument, DEPUTY)) == 2

    # refused: a class teacher and a subject teacher, on the screens and in the core
    for n, user in enumerate((CLASS_TEACHER, ENGLISH), start=1):
        viewer = await school.services.viewers.get("telegram", str(user.id), True)
        with pytest.raises(AccessDenied):
            await control.substitutions(viewer, MONDAY, FRIDAY)
        with pytest.raises(AccessDenied):
            await control.preliminary(viewer, None, 2)
        for kind in ("sb", "pr"):
            await school.tester.click(ReportCb(kind=kind, period=2), user=user, forged=True)
        assert school.tester.sent(SendDocument, user) == []
        assert alerts(school, user) == ["У вас нет доступа к этим данным."] * (2 * n)


async def test_the_file_is_made_again_the_same_and_only_for_the_administration(
    school: ImportedSchool,
) -> None:
    """A retry builds the same bytes; a teacher's account, or a forged ref, gets no file."""
    await _planted_week(school)
    files = push_files(school.database.uow, school.clock)
    first = await files.build("quality:2:2026-12-06", "telegram", str(DEPUTY.id), "ru")
    again = await files.build("quality:2:2026-12-06", "telegram", str(DEPUTY.id), "ru")
    assert first == again and first.data[:2] == b"PK"
    for ref, user in (
        ("quality:2:2026-12-06", CLASS_TEACHER),
        ("preliminary:2", ENGLISH),
        ("journal:7А", DEPUTY),  # no such file
    ):
        with pytest.raises(FileRefused):
            await files.build(ref, "telegram", str(user.id), "ru")
