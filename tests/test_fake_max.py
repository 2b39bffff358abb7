"""The fake MAX Bot API itself, over real HTTP: what a MAX front-end will rely on in its tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.support.fake_max import SECRET_HEADER, FakeMaxAPI, buttons_of

PARENT = 501


@pytest.fixture
async def fake() -> AsyncIterator[FakeMaxAPI]:
    async with FakeMaxAPI() as api:
        yield api


@pytest.fixture
async def http(fake: FakeMaxAPI) -> AsyncIterator[aiohttp.ClientSession]:
    """A session set up as maxapi sets up its own: base URL and the token in Authorization."""
    headers = {"Authorization": fake.token}
    async with aiohttp.ClientSession(base_url=fake.base_url, headers=headers) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None, **query: Any
) -> tuple[int, dict[str, Any], aiohttp.typedefs.LooseHeaders]:
    params = {k: str(v) for k, v in query.items()}
    async with http.request(method, path, json=body, params=params) as response:
        return response.status, await response.json(), response.headers


def keyboard(*rows: list[tuple[str, str]]) -> dict[str, Any]:
    buttons = [[{"type": "callback", "text": t, "payload": p} for t, p in row] for row in rows]
    return {"type": "inline_keyboard", "payload": {"buttons": buttons}}


async def send(http: aiohttp.ClientSession, user_id: int = PARENT, **body: Any) -> Any:
    return await call(http, "POST", "/messages", body, user_id=user_id)


async def test_token_only_in_the_authorization_header(fake: FakeMaxAPI) -> None:
    async with aiohttp.ClientSession(base_url=fake.base_url) as bare:
        async with bare.get("/me") as response:
            assert response.status == 401
            assert (await response.json())["code"] == "verify.token"
        async with bare.get("/me", params={"access_token": fake.token}) as response:
            assert response.status == 401
        async with bare.get("/me", headers={"Authorization": "wrong"}) as response:
            assert response.status == 401
        async with bare.get("/me", headers={"Authorization": fake.token}) as response:
            me = await response.json()
    assert me["user_id"] == fake.bot_id and me["is_bot"] is True and me["username"]


async def test_commands_are_stored(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    commands = [{"name": "marks", "description": "Оценки"}]
    status, me, _ = await call(http, "PATCH", "/me", {"commands": commands})
    assert status == 200 and me["commands"] == commands == fake.commands
    status, error, _ = await call(http, "PATCH", "/me", {"commands": [{"description": "x"}]})
    assert status == 400 and error["code"] == "proto.payload"
    assert fake.commands == commands


async def test_send_edit_delete_seen_in_the_dialog(
    fake: FakeMaxAPI, http: aiohttp.ClientSession
) -> None:
    status, sent, _ = await send(http, text="<b>Привет</b>", format="html")
    assert status == 200
    message = sent["message"]
    mid = message["body"]["mid"]
    assert isinstance(mid, str) and isinstance(message["body"]["seq"], int)
    assert message["recipient"] == {
        "chat_id": fake.dialog(PARENT),
        "chat_type": "dialog",
        "user_id": PARENT,
    }
    assert message["sender"]["user_id"] == fake.bot_id
    await send(http, text="второе")

    status, edited, _ = await call(
        http, "PUT", "/messages", {"text": "Здравствуйте"}, message_id=mid
    )
    assert (status, edited) == (200, {"success": True})
    assert fake.texts(PARENT) == ["Здравствуйте", "второе"]

    status, _, _ = await call(http, "DELETE", "/messages", message_id=mid)
    assert status == 200
    assert fake.texts(PARENT) == ["второе"]
    status, error, _ = await call(http, "PUT", "/messages", {"text": "снова"}, message_id=mid)
    assert (status, error["code"]) == (404, "not.found")


async def test_group_chat_is_a_chat(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    fake.message_created("/start", PARENT, chat_id=-42)
    status, sent, _ = await call(http, "POST", "/messages", {"text": "Класс 5А"}, chat_id=-42)
    assert status == 200 and sent["message"]["recipient"]["chat_type"] == "chat"
    assert [m["body"]["text"] for m in fake.chat(-42)] == ["/start", "Класс 5А"]
    status, error, _ = await call(http, "POST", "/messages", {"text": "x"}, chat_id=-43)
    assert (status, error["code"]) == (404, "not.found")


async def test_button_press_round_trip(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    board = keyboard([("Четверть 2", "mk:q2"), ("Год", "mk:y")])
    _, sent, _ = await send(http, text="Оценки", attachments=[board])
    mid = sent["message"]["body"]["mid"]
    assert buttons_of(fake.last(PARENT))[0][0]["payload"] == "mk:q2"

    fake.message_callback(PARENT, mid, button="Год", user_locale="en")
    _, got, _ = await call(http, "GET", "/updates", timeout=0)
    (update,) = got["updates"]
    assert update["update_type"] == "message_callback" and update["user_locale"] == "en"
    assert update["callback"]["payload"] == "mk:y"
    assert update["callback"]["user"]["user_id"] == PARENT
    assert update["message"]["body"]["mid"] == mid
    callback_id = update["callback"]["callback_id"]

    status, error, _ = await call(http, "POST", "/answers", {}, callback_id=callback_id)
    assert (status, error["code"]) == (400, "proto.payload")
    answer = {"message": {"text": "Оценки за год", "attachments": []}, "notification": "Готово"}
    status, body, _ = await call(http, "POST", "/answers", answer, callback_id=callback_id)
    assert (status, body) == (200, {"success": True})
    assert fake.texts(PARENT) == ["Оценки за год"]
    assert buttons_of(fake.last(PARENT)) == []

    status, _, _ = await call(http, "POST", "/answers", answer, callback_id=callback_id)
    assert status == 400  # answered once already
    status, error, _ = await call(http, "POST", "/answers", answer, callback_id="cb-forged")
    assert (status, error["code"]) == (404, "not.found")


async def test_long_polling_marker_and_wait(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    fake.bot_started(PARENT, payload="INVITE42")
    fake.message_created("/marks", PARENT, user_locale="ru")
    _, first, _ = await call(http, "GET", "/updates", limit=1, timeout=0)
    assert [u["update_type"] for u in first["updates"]] == ["bot_started"]
    assert first["updates"][0]["payload"] == "INVITE42"
    assert first["updates"][0]["chat_id"] == fake.dialog(PARENT)
    _, second, _ = await call(http, "GET", "/updates", marker=first["marker"], timeout=0)
    assert second["marker"] > first["marker"]
    assert second["updates"][0]["message"]["body"]["text"] == "/marks"

    started = time.monotonic()
    _, empty, _ = await call(http, "GET", "/updates", marker=second["marker"], timeout=1)
    assert empty == {"updates": [], "marker": second["marker"]}
    assert time.monotonic() - started >= 0.9

    async def later() -> None:
        await asyncio.sleep(0.2)
        fake.bot_stopped(PARENT)

    task = asyncio.create_task(later())
    _, woke, _ = await call(http, "GET", "/updates", marker=second["marker"], timeout=10)
    await task
    assert [u["update_type"] for u in woke["updates"]] == ["bot_stopped"]


async def test_updates_filtered_by_types(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    fake.bot_started(PARENT)
    fake.message_created("привет", PARENT)
    _, got, _ = await call(http, "GET", "/updates", timeout=0, types="message_created")
    assert [u["update_type"] for u in got["updates"]] == ["message_created"]
    assert got["marker"] == 2


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"text": "я" * 4001}, "text"),
        ({"text": "x", "format": "bbcode"}, "format"),
        ({"text": "x", "attachments": [keyboard([(f"b{i}", "p") for i in range(8)])]}, "row"),
        ({"text": "x", "attachments": [keyboard(*[[("b", "p")]] * 31)]}, "rows"),
        ({"text": "x", "attachments": [keyboard([("", "p")])]}, "text is required"),
        ({"text": "x", "attachments": [keyboard([("b", "p" * 1025)])]}, "payload"),
        ({"text": "x", "attachments": [{"type": "file", "payload": {"token": "nope"}}]}, "token"),
        ({}, "required"),
    ],
)
async def test_bad_bodies_are_refused(
    fake: FakeMaxAPI, http: aiohttp.ClientSession, body: dict[str, Any], fragment: str
) -> None:
    status, error, _ = await send(http, **body)
    assert status == 400 and error["code"] == "proto.payload"
    assert fragment in error["message"]
    assert fake.seen_by(PARENT) == []


async def test_limits_at_the_edge_are_accepted(
    fake: FakeMaxAPI, http: aiohttp.ClientSession
) -> None:
    full = keyboard(*[[(f"{r}.{c}", "p" * 1024) for c in range(7)] for r in range(30)])
    status, _, _ = await send(http, text="я" * 4000, attachments=[full])
    assert status == 200
    assert sum(len(row) for row in buttons_of(fake.last(PARENT))) == 210


async def upload(http: aiohttp.ClientSession, kind: str, data: bytes) -> tuple[dict, dict]:
    _, where, _ = await call(http, "POST", "/uploads", type=kind)
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("data", data, filename="report.pdf", content_type="application/pdf")
    async with aiohttp.ClientSession() as plain, plain.post(where["url"], data=form) as response:
        assert response.status == 200
        return where, await response.json()


async def test_upload_then_attach(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    where, got = await upload(http, "file", b"%PDF-1.4")
    assert where["url"].startswith(fake.base_url)
    token = got["token"]
    assert fake.uploads[token].data == b"%PDF-1.4"
    attachment = {"type": "file", "payload": {"token": token}}
    status, _, _ = await send(http, text="Отчёт", attachments=[attachment])
    assert status == 200
    assert fake.last(PARENT)["body"]["attachments"] == [attachment]

    _, image = await upload(http, "image", b"\x89PNG")
    (photo,) = image["photos"].values()
    status, _, _ = await send(http, attachments=[{"type": "image", "payload": photo}])
    assert status == 200

    status, error, _ = await call(http, "POST", "/uploads", type="sticker")
    assert status == 400 and error["code"] == "proto.payload"


async def test_attachment_not_ready_then_ok(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    fake.uploads_not_ready(2)
    _, got = await upload(http, "file", b"data")
    attachment = {"type": "file", "payload": {"token": got["token"]}}
    for _ in range(2):
        status, error, _ = await send(http, attachments=[attachment])
        assert (status, error["code"]) == (400, "attachment.not.ready")
    assert fake.seen_by(PARENT) == []
    status, _, _ = await send(http, attachments=[attachment])
    assert status == 200 and len(fake.seen_by(PARENT)) == 1


async def test_per_chat_limit_429_without_retry_after(
    fake: FakeMaxAPI, http: aiohttp.ClientSession
) -> None:
    fake.enforce_limits(total_per_second=30, per_chat_per_second=2)
    answers = [await send(http, text=str(i)) for i in range(3)]
    assert [status for status, _, _ in answers] == [200, 200, 429]
    _, error, headers = answers[2]
    assert error["code"] == "too.many.requests"
    assert "Retry-After" not in headers and "retry_after" not in error
    assert fake.texts(PARENT) == ["0", "1"] and fake.throttled == 1
    status, _, _ = await send(http, user_id=PARENT + 1, text="другому")
    assert status == 200  # another chat has its own budget
    await asyncio.sleep(1.05)
    status, _, _ = await send(http, text="позже")
    assert status == 200


async def test_total_limit(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    fake.enforce_limits(total_per_second=5, per_chat_per_second=2)
    statuses = [(await send(http, user_id=600 + i, text="x"))[0] for i in range(6)]
    assert statuses == [200] * 5 + [429]


async def test_throttle_share(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    fake.throttle_share(0.5, seed=7)
    statuses = [(await call(http, "GET", "/me"))[0] for _ in range(40)]
    assert 5 < statuses.count(429) < 35 and set(statuses) == {200, 429}
    fake.throttle_share(0, seed=7)
    assert (await call(http, "GET", "/me"))[0] == 200


async def test_chat_denied_injected_and_after_bot_stopped(
    fake: FakeMaxAPI, http: aiohttp.ClientSession
) -> None:
    fake.deny(PARENT, times=1)
    status, error, _ = await send(http, text="раз")
    assert (status, error["code"]) == (403, "chat.denied")
    assert (await send(http, text="два"))[0] == 200

    fake.bot_stopped(PARENT)
    for _ in range(2):
        status, error, _ = await send(http, text="три")
        assert (status, error["code"]) == (403, "chat.denied")
    assert (await send(http, user_id=PARENT + 1, text="другому"))[0] == 200
    fake.bot_started(PARENT)
    assert (await send(http, text="снова"))[0] == 200
    assert fake.texts(PARENT) == ["два", "снова"]


async def test_dialog_removed_denies_too(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    fake.dialog_removed(PARENT)
    status, error, _ = await send(http, text="x")
    assert (status, error["code"]) == (403, "chat.denied")


async def test_subscriptions_and_webhook_secret(
    fake: FakeMaxAPI, http: aiohttp.ClientSession
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        secret = request.headers.get(SECRET_HEADER)
        received.append((secret, await request.json()))
        return web.Response(status=200 if secret == "s3cret-42" else 403)

    app = web.Application()
    app.router.add_post("/max", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    url = f"http://{host}:{port}/max"
    try:
        status, _, _ = await call(http, "POST", "/subscriptions", {"url": url, "secret": "abc"})
        assert status == 400  # a secret is 5 to 256 characters
        body = {"url": url, "update_types": ["message_created"], "secret": "s3cret-42"}
        status, ok, _ = await call(http, "POST", "/subscriptions", body)
        assert (status, ok) == (200, {"success": True})
        _, listed, _ = await call(http, "GET", "/subscriptions")
        (subscription,) = listed["subscriptions"]
        assert subscription["url"] == url
        assert subscription["update_types"] == ["message_created"]
        assert "secret" not in subscription

        fake.message_created("/start", PARENT)
        assert await fake.deliver() == 200
        ((secret, update),) = received
        assert secret == "s3cret-42" and update["update_type"] == "message_created"

        fake.subscriptions[-1]["secret"] = "forged"
        fake.message_created("/marks", PARENT)
        assert await fake.deliver() == 403  # the webhook checks the secret

        status, _, _ = await call(http, "DELETE", "/subscriptions", url=url)
        assert status == 200 and fake.subscriptions == []
    finally:
        await runner.cleanup()


async def test_requests_are_recorded(fake: FakeMaxAPI, http: aiohttp.ClientSession) -> None:
    since = fake.mark()
    await send(http, text="записано", notify=False)
    (request,) = fake.calls("POST", "/messages", since=since)
    assert request.query == {"user_id": str(PARENT)}
    assert request.json == {"text": "записано", "notify": False} and request.ok
    found = await fake.wait_for(lambda r: r.path == "/messages", since=since)
    assert found is request
