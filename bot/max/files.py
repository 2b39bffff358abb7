"""File references across messengers.

A file that arrived in MAX is known to the handlers (and stored in homework and broadcasts) by
the aiogram ``file_id`` ``"max:<kind>:<payload>"``: enough to send it again in MAX (its token)
and to download it (its URL). Any other reference is Telegram's ``file_id``, which means nothing
in MAX: its bytes are fetched through a ``FileSource`` and uploaded. Once carried across, each
messenger's own reference is kept (``FileCopies``): the file goes across once, not again after a
restart.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Protocol

PREFIX = "max:"


@dataclass(frozen=True, slots=True)
class MaxFile:
    kind: str  # "file" or "image", as MAX names attachments
    token: str
    url: str
    name: str = ""


def make_ref(file: MaxFile) -> str:
    payload = json.dumps({"t": file.token, "u": file.url, "n": file.name}, ensure_ascii=False)
    encoded = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{PREFIX}{file.kind}:{encoded}"


def parse_ref(ref: str) -> MaxFile | None:
    """The MAX file behind ``ref``; None for a reference of another messenger or a broken one."""
    if not ref.startswith(PREFIX):
        return None
    kind, _, encoded = ref[len(PREFIX) :].partition(":")
    try:
        raw = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        return MaxFile(kind, str(raw["t"]), str(raw["u"]), str(raw.get("n") or ""))
    except (ValueError, KeyError, TypeError):
        return None


class FileSource(Protocol):
    async def read(self, ref: str) -> tuple[bytes, str]:
        """The bytes and the file name behind another messenger's reference."""
        ...


class FileCopies(Protocol):
    """Each messenger's own reference of a file that came from the other, kept
    (``storage.max_ids.FileCopyStore``)."""

    async def get(self, ref: str, messenger: str) -> str | None: ...

    async def put(self, ref: str, messenger: str, copy: str) -> None: ...
