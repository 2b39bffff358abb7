"""Issue 15's figures for /progress: processing time per update (update in → request out,
in-process) for the summary (text) and for a subject's chart (a picture drawn and encoded),
next to a bare aiogram echo handler in the same run, and the picture's size in pixels and bytes.

    .venv/bin/python -m benchmarks.bench_progress            # the demo school, mid-November
    .venv/bin/python -m benchmarks.bench_progress --big      # ~1,100 students, late May

Updates come in as the Bot API's JSON and go through the real dispatcher (see
``bench_diary``); the photo's request is built and encoded as aiogram's aiohttp session
builds it, so the PNG is drawn, encoded and put in the form inside the measured time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import shutil
import statistics
import struct
from datetime import datetime
from typing import Any

from app.charts import subject_png
from app.config import Settings
from app.keyboards import DiaryCb, View
from benchmarks.bench_diary import ErrorCount, echo_dispatcher, incoming, link_guardians, timed
from benchmarks.common import BIG_SCHOOL, demo_school, percentile, request_out_bot, summary_ms
from bot.root import build_dispatcher, build_services, settle_heap
from tests.support import TgUser, callback

SAMPLES = 300
GUARDIANS = 60
LIMIT_MS = 500  # the bar for p99


def pressed(data: str, user: TgUser) -> dict[str, Any]:
    return callback(data, user=user).model_dump(mode="json", by_alias=True, exclude_none=True)


async def run(big: bool) -> None:
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    if big:
        database, clock, summary, load_s, path = await demo_school(
            datetime(2027, 5, 20, 16, 30), BIG_SCHOOL
        )
    else:
        database, clock, summary, load_s, path = await demo_school(datetime(2026, 11, 18, 16, 30))
    print(
        f"school: {summary.students} students, {summary.marks} marks "
        f"(loaded in {load_s:.1f} s, {path})"
    )
    services = build_services(
        Settings(_env_file=None, bot_token="42:TEST"), database.uow, clock=clock
    )
    users = await link_guardians(services, database, GUARDIANS)
    # a subject with marks for each parent's child: the button a parent presses
    charts: list[tuple[TgUser, str]] = []
    sizes: list[tuple[int, int, int]] = []
    for user in users:
        viewer = await services.accounts.viewer_for("telegram", str(user.id), True)
        child = min(viewer.children)
        pm = await services.diary.period_marks(viewer, child)
        for s in pm.subjects:
            if any(m.points is not None for m in s.marks):
                data = DiaryCb(view=View.PROGRESS, student=child, item=s.subject_id).pack()
                charts.append((user, data))
                if len(sizes) < 20:
                    png = subject_png(pm, s, "ru")
                    sizes.append((*struct.unpack(">II", png[16:24]), len(png)))
    dp = build_dispatcher(services)
    bot = request_out_bot()
    echo = echo_dispatcher()
    rng = random.Random(15)
    for user, data in charts[:10]:  # warm-up: caches, compiled statements, fonts
        await dp.feed_raw_update(bot, incoming("/progress", user))
        await dp.feed_raw_update(bot, pressed(data, user))
    settle_heap()

    echo_samples = [
        await timed(echo, bot, incoming("привет", rng.choice(users))) for _ in range(SAMPLES)
    ]
    text = [await timed(dp, bot, incoming("/progress", rng.choice(users))) for _ in range(SAMPLES)]
    chart = []
    for _ in range(SAMPLES):
        user, data = rng.choice(charts)
        chart.append(await timed(dp, bot, pressed(data, user)))
    print(f"  bare echo handler:        {summary_ms(echo_samples)}")
    print(f"  /progress (the summary):  {summary_ms(text)}")
    print(f"  📈 a subject's chart:     {summary_ms(chart)}")
    width, height, _ = sizes[0]
    print(
        f"  picture: {width}×{height} px, {statistics.median(s[2] for s in sizes) / 1024:.1f} KiB "
        f"median, {max(s[2] for s in sizes) / 1024:.1f} KiB max (n={len(sizes)})"
    )
    worst = max(percentile(chart, 99), percentile(text, 99)) * 1000
    print(f"  p99 under {LIMIT_MS} ms: {'yes' if worst < LIMIT_MS else 'NO'} ({worst:.0f} ms)")
    print(f"  requests out: {bot.session.sent}; errors logged: {errors.count}")
    await bot.session.close()
    await database.dispose()
    shutil.rmtree(path.parent, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="a 1,100-student school, full year")
    asyncio.run(run(parser.parse_args().big))
