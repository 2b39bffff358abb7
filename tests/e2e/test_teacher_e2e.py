"""End to end: a teacher takes the roll with the real `schoolbot run` process against the fake
Bot API over HTTP: `/start <code>`, /today, the lesson, two names, on the demo school during
a Wednesday's second lesson. Four actions; the absences are in the database at once."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3

import pytest
from sqlalchemy.engine import make_url

from tests.e2e.test_diary_e2e import env_for
from tests.support import FakeBotAPI
from tests.support.console import demo_school, schoolbot

pytestmark = pytest.mark.e2e
NOW = "2026-11-18T09:40:00"  # Wednesday, lesson 2 (09:25-10:10) is on
TEACHER_ID = 777101


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    return demo_school(
        tmp_path_factory.mktemp("e2e-teacher"), lambda url: env_for(url, SCHOOLBOT_NOW=NOW)
    )


def buttons(request) -> list[tuple[str, str]]:
    rows = request.params["reply_markup"]["inline_keyboard"]
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_roll_call_of_a_class_with_two_absent(demo_db: tuple[str, dict]) -> None:
    db_url, invites = demo_db
    async with FakeBotAPI() as api:
        proc = await schoolbot("run", env=env_for(db_url, api, SCHOOLBOT_NOW=NOW))
        try:
            await api.wait_for("getUpdates", timeout=30, finished=False)
            mark = api.mark()
            api.push_message(
                f"/start {invites['teacher']['code']}", TEACHER_ID, first_name="Учитель"
            )
            home = await api.wait_for(
                lambda r: r.method == "sendMessage" and "Вы вошли" in (r.text or ""), since=mark
            )
            assert "Уроки" in json.dumps(home.params["reply_markup"], ensure_ascii=False)

            actions = 0
            mark = api.mark()
            api.push_message("/today", TEACHER_ID)
            actions += 1
            today = await api.wait_for("sendMessage", since=mark, chat_id=TEACHER_ID)
            assert "Мои уроки" in today.text
            lesson = next(data for text, data in buttons(today) if text.startswith("2. 09:25"))

            mark = api.mark()
            api.push_callback(lesson, TEACHER_ID, today.result["message_id"])
            actions += 1
            card = await api.wait_for("editMessageText", since=mark, chat_id=TEACHER_ID)
            assert "Присутствуют 26 из 26" in card.text and "отсутствуют" not in card.text
            students = [
                (text, data)
                for text, data in buttons(card)
                if data.startswith("rc1:") and not data.endswith(":0")
            ]
            assert len(students) >= 20
            for _, data in students[:2]:
                mark = api.mark()
                api.push_callback(data, TEACHER_ID, today.result["message_id"])
                actions += 1
                card = await api.wait_for("editMessageText", since=mark, chat_id=TEACHER_ID)
                await api.wait_for("answerCallbackQuery", since=mark)

            assert actions == 4
            total = len(students)
            assert f"Присутствуют {total - 2} из {total} · отсутствуют: 2" in card.text
            marked = [text for text, data in buttons(card) if text.startswith("❌ ")]
            assert marked == [f"❌ {text}" for text, _ in students[:2]]
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            out, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, out.decode()[-3000:]
        assert {r.chat_id for r in api.requests if r.method.startswith("send")} == {TEACHER_ID}

    lesson_id = int(lesson.split(":")[1])
    absent = {int(data.split(":")[2]) for _, data in students[:2]}
    with sqlite3.connect(make_url(db_url).database) as db:
        rows = db.execute(
            "SELECT student_id, kind FROM attendance WHERE lesson_id = ?", (lesson_id,)
        ).fetchall()
    assert {(s, k) for s, k in rows} == {(s, "absent") for s in absent}
