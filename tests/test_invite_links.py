"""Invite links and sheets for the messengers a school runs (issue #13): Telegram's t.me link,
MAX's max.ru link, or both, each with its own QR code; the wording names the messengers that
run, and with MAX alone has no word of Telegram. Read back as a parent's phone would: the
table's cells, the QR codes decoded from the pictures, the PDF's text.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from app.config import Settings
from app.invite_sheet import qr_payload, sheet_pdf, sheet_xlsx
from app.messages import link_lines
from core.access_admin import SheetLine
from core.model import PersonRole
from locales import translations

TZ = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ)
RU = translations("ru").gettext
TG, MX = "school_test_bot", "school_max_bot"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


CASES = {
    "telegram": settings(bot_token="42:TEST", bot_username=f"@{TG}", max_bot_username=MX),
    "max": settings(max_bot_token="mx-token", max_bot_username=MX, bot_username=TG),
    "both": settings(
        bot_token="42:TEST", bot_username=TG, max_bot_token="mx-token", max_bot_username=MX
    ),
}


def lines(n: int = 3) -> list[SheetLine]:
    return [
        SheetLine(
            PersonRole.GUARDIAN,
            i,
            f"Родитель {i}",
            f"Ученик {i}",
            "5А",
            f"code{i:04d}xxxxxxxxxxxx",
            NOW + timedelta(days=14),
        )
        for i in range(n)
    ]


def _qr(image: Image.Image) -> str:
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def test_the_links_of_each_configuration() -> None:
    code = "abc123"
    tg, mx = f"https://t.me/{TG}?start={code}", f"https://max.ru/{MX}?start={code}"
    assert CASES["telegram"].invite_links(code) == [("telegram", tg)]
    assert CASES["max"].invite_links(code) == [("max", mx)]  # a stale BOT_USERNAME is ignored
    assert CASES["both"].invite_links(code) == [("telegram", tg), ("max", mx)]
    assert CASES["both"].invite_link(code) == tg
    # the console runs no messenger: the bots whose username is set
    assert settings(max_bot_username=MX).invite_links(code) == [("max", mx)]
    assert settings().invite_links(code) == [] and settings().invite_bots() == {"telegram": None}
    assert settings(max_bot_token="mx").invite_bots() == {"max": None}  # /me fills it at start
    assert link_lines(RU, [("telegram", tg)]) == [f"Ссылка: {tg}"]
    assert link_lines(RU, [("telegram", tg), ("max", mx)]) == [
        f"Ссылка для Telegram: {tg}",
        f"Ссылка для MAX: {mx}",
    ]


@pytest.mark.parametrize("case", ["telegram", "max", "both"])
def test_the_table_has_a_link_and_a_qr_code_for_each_messenger(case: str) -> None:
    config = CASES[case]
    people = lines()
    book = load_workbook(io.BytesIO(sheet_xlsx(people, RU, config.invite_links, TZ)))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    expected = [[link for _, link in config.invite_links(p.code)] for p in people]
    if case == "both":
        assert header[6:11] == [
            "Ссылка (Telegram)",
            "Ссылка (MAX)",
            "Действует до",
            "QR-код (Telegram)",
            "QR-код (MAX)",
        ]
        assert [r[6:8] for r in rows] == expected
    else:
        assert header[6] == "Ссылка" and header[8] == "QR-код"
        assert [[r[6]] for r in rows] == expected
    assert all(("t.me" in link) == (case != "max") for row in expected for link in row[:1])
    decoded = [_qr(Image.open(io.BytesIO(image._data()))) for image in sheet._images]
    assert sorted(decoded) == sorted(link for row in expected for link in row)


@pytest.mark.parametrize("case", ["telegram", "max", "both"])
def test_the_cards_name_the_messengers_that_run(case: str) -> None:
    config = CASES[case]
    people = lines(9)  # two pages
    data = sheet_pdf(people, RU, config.invite_links, TZ, config.invite_bots())
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for person in people:
        assert person.code in text.replace(" ", "") and person.name in text
    decoded = [_qr(image.image) for page in reader.pages for image in page.images]
    expected = [link for p in people for _, link in config.invite_links(p.code)]
    assert decoded == expected
    if case == "telegram":
        assert "«Старт» в Telegram" in text and f"@{TG}" in text and "MAX" not in text
    elif case == "max":
        assert "«Старт» в MAX" in text and MX in text
        assert "Telegram" not in text and "t.me" not in text
    else:
        assert "Telegram или MAX" in text


def test_a_card_without_a_link_holds_the_code_and_names_the_messenger() -> None:
    people = lines(1)
    only_max = settings(max_bot_token="mx-token")  # the username not known
    assert qr_payload(people[0], only_max.invite_links) == people[0].code
    data = sheet_pdf(people, RU, only_max.invite_links, TZ, only_max.invite_bots())
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text().replace("\n", " ")
    assert "школьному боту в MAX" in text and "Telegram" not in text
