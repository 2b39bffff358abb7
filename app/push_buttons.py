"""Callback data of the buttons pushes carry (packed by ``notifications.buttons``) and of the
broadcast and letter forms. Short versioned prefixes, as for every button; the ids are hints
the core checks again."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ReadCb(CallbackData, prefix="rd1"):
    delivery: int


class ReplyCb(CallbackData, prefix="rp1"):
    broadcast: int
    student: int


class ExplainCb(CallbackData, prefix="ex1"):
    attendance: int


class AnswerCb(CallbackData, prefix="an1"):
    letter: int


class ReasonCb(CallbackData, prefix="rs1"):
    attendance: int
    reason: str


class ProgressCb(CallbackData, prefix="bp1"):
    broadcast: int
    action: str  # r: refresh, u: who has not read


class BroadcastClassCb(CallbackData, prefix="bc1"):
    class_id: int


class AudienceCb(CallbackData, prefix="ba1"):
    audience: str
    subgroup: int = 0


class ConfirmCb(CallbackData, prefix="bs1"):
    action: str  # send, edit, cancel


class WriteChildCb(CallbackData, prefix="wc1"):
    student: int


class CancelFormCb(CallbackData, prefix="fc1"):
    form: str  # broadcast, letter


class FinalAckCb(CallbackData, prefix="fa1"):
    student: int
    period: int
