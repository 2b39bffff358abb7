"""Files made when a push is sent: the deputy's weekly analysis goes out as an XLSX built for
its recipient at that moment, not stored with the push.

A push names its file by an attachment of kind ``generated`` whose ref is
``<builder>:<arguments>`` (``quality:2:2026-12-06``). The worker asks ``PushFiles`` for the
bytes; it builds them with the viewer of the recipient's account as it is now, so access is
checked again at send time: an account that lost the right gets nothing (``FileRefused``, the
row is skipped). The arguments fix what the file covers, so a retry builds the same report
(the workbook's bytes depend on its data only: ``storage.exports``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from core.access import Viewer
from core.errors import AccessDenied, NotFound
from core.model import Attachment

GENERATED = "generated"


@dataclass(frozen=True, slots=True)
class File:
    name: str
    data: bytes


class FileRefused(Exception):
    """The recipient may not have this file now (their role ended), or it names nothing."""


# (the recipient's viewer, the ref's arguments, the recipient's language) -> the file
Builder = Callable[[Viewer, str, str], Awaitable[File]]


class Viewers(Protocol):
    async def viewer_for(self, messenger: str, external_id: str, private: bool) -> Viewer: ...


def generated(builder: str, *args: object, name: str = "") -> Attachment:
    """The attachment a push's payload carries for a file made at send time."""
    return Attachment(GENERATED, ":".join([builder, *(str(a) for a in args)]), name)


@dataclass(frozen=True, slots=True)
class PushFiles:
    viewers: Viewers
    builders: Mapping[str, Builder]

    async def build(self, ref: str, messenger: str, external_id: str, locale: str) -> File:
        name, _sep, args = ref.partition(":")
        builder = self.builders.get(name)
        if builder is None:
            raise FileRefused(f"no builder {name!r}")
        viewer = await self.viewers.viewer_for(messenger, external_id, True)
        try:
            return await builder(viewer, args, locale)
        except (AccessDenied, NotFound) as exc:
            raise FileRefused(repr(exc)) from exc
