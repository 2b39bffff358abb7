"""Callback data of the buttons pushes carry, packed the way ``app/push_buttons.py`` parses them.

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


PRINTOUTS = "pp1"  # a class's paper diaries as a PDF: pp1:<class id>:pdf (handlers/printouts.py)


def printouts(class_id: int) -> str:
    return f"{PRINTOUTS}:{class_id}:pdf"


JOURNAL_REMARK = "jr1"  # open a remark on the journal: jr1:<remark id>:o


def journal_remark(remark_id: int) -> str:
    return f"{JOURNAL_REMARK}:{remark_id}:o"


FINAL_ACK = "fa1"  # the family has seen the period marks: fa1:<student id>:<period id>


def final_ack(student_id: int, period_id: int) -> str:
    return f"{FINAL_ACK}:{student_id}:{period_id}"
