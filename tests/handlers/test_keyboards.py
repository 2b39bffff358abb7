"""Keyboards: the fast packer agrees with aiogram for every callback factory, and shared
markups are the same buttons as freshly built ones."""

from __future__ import annotations

import enum
import importlib
import pkgutil
import typing

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

import handlers
from app import keyboards as kb


def _factories() -> list[type[CallbackData]]:
    for info in pkgutil.iter_modules(handlers.__path__):
        importlib.import_module(f"handlers.{info.name}")
    found, todo = [], list(CallbackData.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith(("app.", "bot.", "handlers.")):
            found.append(cls)
    return sorted(found, key=lambda c: c.__prefix__)


def _samples(annotation: typing.Any) -> list[typing.Any]:
    options = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    values: list[typing.Any] = [None] if type(None) in typing.get_args(annotation) else []
    for option in options:
        if isinstance(option, type) and issubclass(option, enum.Enum):
            values += list(option)
        elif option is bool:
            values += [True, False]
        elif option is int:
            values += [0, 7, -3, 2_147_483_647]
        elif option is str:
            values += ["", "7А", "x-y"]
    return values


FACTORIES = _factories()


def test_every_callback_factory_is_found() -> None:
    assert len(FACTORIES) >= 20
    assert kb.DiaryCb in FACTORIES


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_pack_gives_aiogram_s_string(factory: type[CallbackData]) -> None:
    fields = typing.get_type_hints(factory)
    names = list(factory.model_fields)
    checked = 0
    for i in range(max(len(_samples(fields[n])) for n in names) if names else 1):
        values = {}
        for n in names:
            samples = _samples(fields[n])
            assert samples, f"{factory.__name__}.{n}: no sample for {fields[n]}"
            values[n] = samples[i % len(samples)]
        data = factory(**values)
        assert kb.pack(data) == data.pack()
        if "" not in values.values():  # aiogram reads "" back as the default
            assert factory.unpack(kb.pack(data)) == data
        checked += 1
    assert checked >= 1


def test_pack_refuses_what_aiogram_refuses() -> None:
    class Note(CallbackData, prefix="t"):
        text: str

    with pytest.raises(ValueError, match="Separator"):
        kb.pack(Note(text="a:b"))
    with pytest.raises(ValueError, match="too long"):
        kb.pack(Note(text="я" * 40))


def test_shared_markups_equal_fresh_ones_and_skip_empty_rows() -> None:
    rows = [
        [("Математика", kb.DiaryCb(view=kb.View.SUBJECT, student=5, period=2, item=9))],
        [],
        [("« Назад", "back")],
    ]
    fresh = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Математика", callback_data="d1:s:5:2:9:1")],
            [InlineKeyboardButton(text="« Назад", callback_data="back")],
        ]
    )
    assert kb.inline(rows) == fresh
    assert kb.inline(rows) is kb.inline(rows)
    other = kb.inline([[("Математика", kb.DiaryCb(view=kb.View.SUBJECT, student=6))]])
    assert other.inline_keyboard[0][0].callback_data == "d1:s:6:0:0:1"
