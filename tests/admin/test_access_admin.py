"""Access in bulk from the console: the invite sheet (XLSX and PDF, opened and read), revoking
an invite or a person's access, who is linked, the class charts; all or nothing."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
import zxingcpp
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from app.invite_sheet import CARDS_PER_PAGE
from bot.cli import main
from core.invites import InviteService
from core.model import PersonRole
from storage.db import Database
from tests.admin.conftest import EXAMPLES, NOW, TZ

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'school.db'}")
    monkeypatch.setenv("SCHOOLBOT_NOW", "2026-11-18T10:00:00")
    monkeypatch.setenv("DEFAULT_LOCALE", "ru")
    monkeypatch.setenv("BOT_USERNAME", "school_test_bot")
    assert main(["db", "upgrade"]) == 0
    assert main(["import", "roster", str(EXAMPLES / "roster.xlsx")]) == 0
    return tmp_path


def _rows(db_path: Path, sql: str) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(db_path) as con:
        return con.execute(sql).fetchall()


def _qr(image: Image.Image) -> str:
    """What a phone's camera reads from the printed QR code."""
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def test_the_invite_sheet_for_a_class(env: Path, capsys) -> None:
    assert main(["invites", "--class", "7А", "--out", str(env / "meeting")]) == 0
    book = load_workbook(env / "meeting.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["№", "ФИО", "Кто"]
    lines = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    students = {r[1] for r in lines if r[2] == "Обучающийся"}
    guardians = [r for r in lines if r[2] == "Родитель"]
    assert students and guardians
    assert all(r[3] for r in guardians)  # the child's name
    assert all(r[4] == "7А" for r in lines)
    codes = [r[5] for r in lines]
    assert len(set(codes)) == len(codes) == len(lines)
    assert all(r[6] == f"https://t.me/school_test_bot?start={r[5]}" for r in lines)
    assert all(r[7] == "02.12.2026" for r in lines)  # 14 days
    assert len(sheet._images) == len(lines)  # a QR code per person, in the row's order
    links = [r[6] for r in lines]
    assert [_qr(Image.open(io.BytesIO(image._data()))) for image in sheet._images] == links

    pdf = PdfReader(env / "meeting.pdf")
    assert len(pdf.pages) == -(-len(lines) // CARDS_PER_PAGE)
    text = "".join(page.extract_text() for page in pdf.pages)
    for code in codes:
        assert code in text.replace("\n", "")
    assert "Действует до 02.12.2026" in text
    assert sum(len(page.images) for page in pdf.pages) == len(lines)
    assert [_qr(image.image) for page in pdf.pages for image in page.images] == links

    stored = _rows(env / "school.db", "select count(*), count(distinct code_hash) from invites")
    assert stored == [(len(lines), len(lines))]
    assert "7А" in capsys.readouterr().out


def test_an_unknown_class_changes_nothing(env: Path, capsys) -> None:
    assert main(["invites", "--class", "9Я", "--out", str(env / "x.pdf")]) == 1
    assert "9Я" in capsys.readouterr().err
    assert not (env / "x.xlsx").exists() and not (env / "x.pdf").exists()
    assert _rows(env / "school.db", "select count(*) from invites") == [(0,)]


def test_revoke_an_invite_and_a_persons_access(env: Path, capsys) -> None:
    from app.config import Settings

    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{env / 'school.db'}")

    async def link_a_guardian() -> tuple[int, int]:
        from core.clock import FixedClock

        db = Database.connect(settings.database_url)
        try:
            clock = FixedClock(NOW, TZ)
            async with db.uow(readonly=True) as uow:
                guardian = (await uow.guardians.list_all())[0]
            service = InviteService(db.uow, clock)
            issued = await service.issue_many(
                __import__("core.access").access.SYSTEM,
                [(PersonRole.GUARDIAN, guardian.id), (PersonRole.GUARDIAN, guardian.id)],
            )
            await service.redeem("telegram", "777", issued[0].code)
            return guardian.id, issued[1].invite.id  # type: ignore[return-value]
        finally:
            await db.dispose()

    guardian_id, spare = asyncio.run(link_a_guardian())
    assert main(["linked"]) == 0
    out = capsys.readouterr().out
    assert "Родитель" in out and "ru" in out and "активен" in out
    assert main(["linked", "--class", "7А"]) == 0
    assert main(["revoke", "--role", "guardian", "--id", str(guardian_id)]) == 0
    assert _rows(
        env / "school.db", "select count(*) from account_links where unlinked_at is null"
    ) == [(0,)]
    assert _rows(
        env / "school.db", f"select revoked_at is not null from invites where id={spare}"
    ) == [(1,)]
    audit = _rows(
        env / "school.db", "select action, entity_id from audit_log where action='access.revoke'"
    )
    assert audit == [("access.revoke", guardian_id)]
    capsys.readouterr()
    assert main(["linked"]) == 0
    assert "Пока никто" in capsys.readouterr().out
    assert main(["revoke", "--invite", "99999"]) == 1
    assert main(["revoke", "--role", "guardian", "--id", "99999"]) == 1
    assert main(["revoke"]) == 1


def test_class_charts_from_the_console(env: Path) -> None:
    for kind in ("results", "attendance"):
        out = env / f"{kind}.png"
        assert main(["chart", kind, "--class", "7А", "--out", str(out)]) == 0
        assert out.read_bytes().startswith(PNG)
    assert main(["chart", "results", "--class", "9Я", "--out", str(env / "no.png")]) == 1


def test_help_of_the_new_commands(capsys) -> None:
    for argv in (["invites"], ["revoke"], ["linked"], ["chart"]):
        with pytest.raises(SystemExit) as exit_:
            main([*argv, "--help"])
        assert exit_.value.code == 0
    assert "--class" in capsys.readouterr().out


def test_sheet_builders_without_a_bot_username() -> None:
    from datetime import timedelta

    from app.invite_sheet import qr_payload, sheet_pdf
    from core.access_admin import SheetLine
    from locales import translations

    lines = [
        SheetLine(
            PersonRole.STUDENT,
            i,
            f"Ученик {i}",
            "",
            "5А",
            f"code{i:04d}xxxxxxxxxxxx",
            NOW + timedelta(days=3),
        )
        for i in range(CARDS_PER_PAGE + 1)
    ]
    assert qr_payload(lines[0], lambda code: None) == lines[0].code
    data = sheet_pdf(lines, translations("en").gettext, lambda code: None, TZ)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    assert "Ученик 8" in reader.pages[1].extract_text()
