"""A message inside a form is that form's input (issue #12): a topic shaped like an invite
code is saved as the topic and is no wrong try at a code; outside a form the same text is
still taken as a code."""

from __future__ import annotations

from app.attempts import MAX_ATTEMPTS
from app.keyboards import LessonCb
from tests.handlers.conftest import World

TOPIC = "Present_Perfect_revision"  # 24 letters and underscores: the shape of a code


async def test_a_code_shaped_topic_is_saved_and_costs_no_try(world: World) -> None:
    w = world
    key = f"invite:telegram:{w.teacher.id}"
    target = w.s.lesson_today.id
    await w.tester.click(LessonCb(lesson=target), user=w.teacher, forged=True)
    await w.tester.click("📖 Тема", user=w.teacher)
    await w.tester.send(TOPIC, user=w.teacher)
    assert "Тема сохранена." in w.tester.last_text(w.teacher)
    async with w.store.uow(readonly=True) as uow:
        lesson = await uow.lessons.get(target)
    assert lesson is not None and lesson.topic == TOPIC

    # outside the form the same text is a code, and a wrong one counts
    await w.tester.send(TOPIC, user=w.teacher)
    assert "не найден" in w.tester.last_text(w.teacher)
    for _ in range(MAX_ATTEMPTS - 2):
        await w.tester.send("CCCCCCCCCCCCCCCCCCCCCC", user=w.teacher)
    # the topic was no try: one try is still left before the lockout
    assert await w.services.attempts.blocked_for(key) == 0
    await w.tester.send("DDDDDDDDDDDDDDDDDDDDDD", user=w.teacher)
    assert await w.services.attempts.blocked_for(key) > 0
