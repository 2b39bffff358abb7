"""Every button's callback data has its own prefix (two classes sharing one send a press to
whichever router comes first), and packs within the messenger's 64 bytes for large ids."""

from __future__ import annotations

import enum
import importlib
import pkgutil
import types
import typing
from collections import defaultdict
from datetime import date

from aiogram.filters.callback_data import CallbackData

PACKAGES = ("bot", "app", "handlers", "notifications")
BIG_ID = 99_999_999  # far more rows than a school's database will ever hold
LIMIT = 64  # bytes of callback_data the Bot API accepts


def _all_modules() -> None:
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            importlib.import_module(info.name)


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def callback_classes() -> list[type[CallbackData]]:
    _all_modules()
    return [
        c
        for c in _subclasses(CallbackData)
        if c.__module__.split(".")[0] in PACKAGES  # not the library's nor a test's own
    ]


def _sample(annotation: object, default: object) -> object:
    """The longest value a field realistically holds."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _sample(options[0], default)
    if typing.get_origin(annotation) is typing.Literal:
        return max(typing.get_args(annotation), key=lambda v: len(str(v)))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return max(annotation, key=lambda v: len(str(v.value)))
    if annotation is bool:
        return True
    if annotation is int:
        return BIG_ID
    if annotation is date:
        return date(2026, 12, 31)
    if annotation is str:
        return default if isinstance(default, str) and default else "abc"
    raise AssertionError(f"no sample for {annotation!r}")


def shared_prefixes(classes: list[type[CallbackData]]) -> dict[str, list[str]]:
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for cls in classes:
        by_prefix[cls.__prefix__].append(f"{cls.__module__}.{cls.__name__}")
    return {prefix: names for prefix, names in by_prefix.items() if len(names) > 1}


def test_every_callback_prefix_is_unique() -> None:
    classes = callback_classes()
    assert len(classes) > 40  # the bot's buttons were all found
    assert not shared_prefixes(classes), "callback prefixes used twice"


def test_the_check_finds_a_shared_prefix() -> None:
    class One(CallbackData, prefix="zz9"):
        id: int

    class Two(CallbackData, prefix="zz9"):
        id: int

    assert shared_prefixes([One, Two]) == {"zz9": [f"{__name__}.One", f"{__name__}.Two"]}


def test_callback_data_fits_64_bytes_with_large_ids() -> None:
    too_long = {}
    for cls in callback_classes():
        data = cls(
            **{
                name: _sample(field.annotation, field.default)
                for name, field in cls.model_fields.items()
            }
        )
        try:
            packed = data.pack()  # refuses more than 64 bytes itself
        except ValueError as exc:
            too_long[cls.__name__] = str(exc)
            continue
        assert len(packed.encode()) <= LIMIT
        assert cls.unpack(packed) == data
    assert not too_long, too_long
