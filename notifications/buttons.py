"""Callback data of the buttons pushes carry, packed the way ``bot/push_buttons.py`` parses them.

The prefixes are short and versioned, as for every button of the bot; ids in them are only
hints, checked again by the core when pressed. ``tests/notifications`` keeps both sides equal.
"""

from __future__ import annotations

READ = "rd1"  # a broadcast was read: rd1:<delivery id>
REPLY = "rp1"  # answer a broadcast: rp1:<broadcast id>:<student id>
EXPLAIN = "ex1"  # explain an absence: ex1:<attendance id>
ANSWER = "an1"  # answer a letter: an1:<letter id>
REASON = "rs1"  # set an absence reason: rs1:<attendance id>:<sick|excused|unexcused>
PROGRESS = "bp1"  # broadcast progress: bp1:<broadcast id>:<r (refresh) | u (unread)>


def read(delivery_id: int) -> str:
    return f"{READ}:{delivery_id}"


def reply(broadcast_id: int, student_id: int) -> str:
    return f"{REPLY}:{broadcast_id}:{student_id}"


def explain(attendance_id: int) -> str:
    return f"{EXPLAIN}:{attendance_id}"


def answer(letter_id: int) -> str:
    return f"{ANSWER}:{letter_id}"


def reason(attendance_id: int, value: str) -> str:
    return f"{REASON}:{attendance_id}:{value}"


def progress(broadcast_id: int, action: str) -> str:
    return f"{PROGRESS}:{broadcast_id}:{action}"
