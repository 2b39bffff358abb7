"""One clock for every "today": the rules read it, tests and demos freeze it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    @property
    def tz(self) -> ZoneInfo: ...

    def now(self) -> datetime: ...

    def today(self) -> date: ...


@dataclass(frozen=True, slots=True)
class SystemClock:
    tz: ZoneInfo

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def today(self) -> date:
        return self.now().date()


@dataclass(slots=True)
class FixedClock:
    """A frozen clock (``SCHOOLBOT_NOW``); tests may move it with ``set``."""

    at: datetime
    tz: ZoneInfo

    def __post_init__(self) -> None:
        self.at = self._local(self.at)

    def _local(self, at: datetime) -> datetime:
        return at.replace(tzinfo=self.tz) if at.tzinfo is None else at.astimezone(self.tz)

    def set(self, at: datetime) -> None:
        self.at = self._local(at)

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()


def make_clock(timezone: str, frozen_at: str | None = None) -> Clock:
    """The clock for ``SCHOOL_TIMEZONE``; ``frozen_at`` is an ISO date-time in that zone."""
    tz = ZoneInfo(timezone)
    if frozen_at:
        return FixedClock(datetime.fromisoformat(frozen_at), tz)
    return SystemClock(tz)
