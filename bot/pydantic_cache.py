"""Keep aiogram's parametrised response models alive.

aiogram checks every Bot API answer with ``Response[method.__returning__]``; pydantic keeps
such generic classes in a weak cache, so they are garbage-collected and rebuilt again and
again — about 15-20 ms each time, on roughly one call in three. Holding one strong reference
to each makes the check a dictionary lookup.
"""

from __future__ import annotations

import inspect
from typing import Any

from aiogram import methods
from aiogram.client.session.base import Response
from aiogram.methods.base import TelegramMethod

_PINNED: list[Any] = []


def pin_response_models() -> int:
    if _PINNED:
        return len(_PINNED)
    returning = set()
    for _, cls in inspect.getmembers(methods, inspect.isclass):
        if issubclass(cls, TelegramMethod) and cls is not TelegramMethod:
            ret = getattr(cls, "__returning__", None)
            if ret is not None:
                returning.add(ret)
    for ret in returning:
        try:
            _PINNED.append(Response[ret])  # type: ignore[valid-type]
        except TypeError:
            continue
    return len(_PINNED)
