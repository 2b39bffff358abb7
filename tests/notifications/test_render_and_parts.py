"""Push texts in both languages, buttons both sides agree on, the pacer's guarantees, and the
Telegram adapter's mapping of errors onto the sender port."""

from __future__ import annotations

import json

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import EditMessageText, SendMessage, SendPhoto

from app import push_buttons as pb
from bot.telegram.sender import AiogramSender
from core.limits import MESSAGE_LIMIT
from notifications import buttons as b
from notifications.limiter import Pacer
from notifications.render import Item, render
from notifications.sender import BadRequest, Blocked, Button, Outgoing, RetryLater, Transient, send
from tests.support import RecordingSession, make_bot

MARK = {
    "student": "Иванов Пётр",
    "class": "7А",
    "mark_id": 1,
    "subject": "Математика",
    "value": "5",
    "wt_code": "test",
    "wt_short": "КР",
    "day": "2026-11-18",
    "comment": "",
}


def item(kind: str, data: dict, id: int = 1, **kw) -> Item:  # type: ignore[no-untyped-def]
    return Item.parse(id, kind, json.dumps(data, ensure_ascii=False), **kw)


def test_a_mark_in_both_languages() -> None:
    ru = render([item("mark", MARK)], "ru").text
    en = render([item("mark", MARK)], "en").text
    assert ru == "📘 Новая отметка — Иванов Пётр (7А)\nМатематика: <b>5</b> (КР), ср, 18 ноября"
    assert en == "📘 New mark — Иванов Пётр (7А)\nМатематика: <b>5</b> (test), Wed, 18 November"


def test_names_and_teachers_texts_are_escaped() -> None:
    data = {**MARK, "student": "<b>Bobby</b>", "comment": "5 > 4 & <i>"}
    text = render([item("mark", data)], "ru").text
    assert "&lt;b&gt;Bobby&lt;/b&gt;" in text and "5 &gt; 4 &amp; &lt;i&gt;" in text


def test_a_long_digest_is_cut_to_one_message() -> None:
    marks = [item("mark", {**MARK, "subject": "Предмет" * 20}, id=i) for i in range(200)]
    text = render(marks, "ru", "quiet").text
    assert len(text) <= MESSAGE_LIMIT == 4000  # MAX's limit, the smaller of the two
    assert text.startswith("🌙 Пока действовали тихие часы:")
    assert "… и ещё" in text


def test_a_broadcast_with_a_photo_keeps_its_caption_short() -> None:
    data = {
        "broadcast_id": 7,
        "class": "7А",
        "author": "Попова М.С.",
        "text": "Фото с экскурсии. " * 100,
        "attachments": [["photo", "AgAD-photo", ""]],
        "student_names": ["Иванов Пётр"],
        "student_ids": [3],
    }
    out = render(
        [item("broadcast", data, id=42, broadcast_id=7, student_id=3, role="guardian")], "ru"
    )
    assert out.attachment is not None and out.attachment.ref == "AgAD-photo"
    assert len(out.text) <= 1024 and out.text.endswith("…")
    assert [x.data for x in out.buttons[0]] == [b.read(42), b.reply(7, 3)]


@pytest.mark.parametrize(
    ("packed", "factory"),
    [
        (b.read(123456789), pb.ReadCb),
        (b.reply(123456789, 987654321), pb.ReplyCb),
        (b.explain(123456789), pb.ExplainCb),
        (b.answer(123456789), pb.AnswerCb),
        (b.reason(123456789, "unexcused"), pb.ReasonCb),
        (b.progress(123456789, "u"), pb.ProgressCb),
    ],
)
def test_push_buttons_parse_on_the_bot_side(packed: str, factory: type) -> None:
    parsed = factory.unpack(packed)
    assert parsed.pack() == packed and len(packed.encode()) <= 64


async def test_the_pacer_never_lets_more_than_the_limit_into_a_window() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer(30, 1.03, now=lambda: now[0], sleep=sleep)
    stamps = []
    for i in range(300):
        if i == 100:
            now[0] += 0.02  # the loop stalled: the schedule must not catch up in a burst
        await pacer.acquire()
        stamps.append(now[0])
    spans = [stamps[i + 30] - stamps[i] for i in range(len(stamps) - 30)]
    assert min(spans) >= 1.03 - 1e-9  # any 31 sends span the window: 30 at most inside it
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    assert 29.0 < rate <= 30 / 1.03 + 1e-9


async def test_the_telegram_adapter_maps_errors_onto_the_port() -> None:
    session = RecordingSession()
    sender = AiogramSender(make_bot(session))
    message = Outgoing("1001", "<b>Привет</b>", ((Button("✓", "rd1:5"),),))
    ref = await send(sender, message)
    call = session.calls(SendMessage)[-1]
    assert ref and call.chat_id == 1001 and call.parse_mode == "HTML"
    assert call.reply_markup.inline_keyboard[0][0].callback_data == "rd1:5"
    cases = [
        (TelegramRetryAfter, {"retry_after": 7}, RetryLater),
        (TelegramForbiddenError, {}, Blocked),
        (TelegramBadRequest, {}, BadRequest),
        (TelegramServerError, {}, Transient),
        (TelegramNetworkError, {}, Transient),
    ]
    for error, kw, expected in cases:
        session.fail_next(SendMessage, error, **kw)
        with pytest.raises(expected) as caught:
            await sender.send_text("1001", "x")
        if expected is RetryLater:
            assert caught.value.seconds == 7
    await sender.send_photo("1001", "AgAD", "подпись")
    assert session.calls(SendPhoto)[-1].photo == "AgAD"
    session.fail_next(EditMessageText, TelegramBadRequest, "Bad Request: message is not modified")
    await sender.edit_text("1001", "5", "тот же текст")  # nothing changed: not an error
