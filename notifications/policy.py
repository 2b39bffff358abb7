"""When a push may go: quiet hours, what ignores them, and what merges into the morning digest."""

from __future__ import annotations

from datetime import datetime, time, timedelta

# Final marks and broadcasts follow quiet hours unless the user asked for them at any time;
# a broadcast's progress goes to its author, who has just sent it.
ANYTIME_IF_ASKED = frozenset({"final", "broadcast"})
ALWAYS_ANYTIME = frozenset({"broadcast_progress"})
# Kinds that keep their own message (buttons, a photo) instead of joining a digest.
OWN_MESSAGE = frozenset(
    {"broadcast", "broadcast_progress", "letter", "quality_weekly", "preliminary_all", "printouts"}
)
QUIET_GROUP = "quiet"


def quiet_end(now: datetime, start: time | None, end: time | None) -> datetime | None:
    """When the quiet hours around ``now`` end (in ``now``'s zone), or None outside them."""
    if start is None or end is None or start == end:
        return None
    t = now.time().replace(tzinfo=None)
    today_end = datetime.combine(now.date(), end, tzinfo=now.tzinfo)
    if start < end:  # e.g. 13:00-15:00
        return today_end if start <= t < end else None
    if t >= start:  # e.g. 21:00-08:00, now 22:30
        return today_end + timedelta(days=1)
    if t < end:  # now 06:00
        return today_end
    return None


def anytime(kind: str, notify_anytime_finals: bool) -> bool:
    return kind in ALWAYS_ANYTIME or (kind in ANYTIME_IF_ASKED and notify_anytime_finals)


def held_group(kind: str, group_key: str) -> str:
    """The group a push joins while held: the one morning digest, unless it has its own."""
    return group_key if kind in OWN_MESSAGE else QUIET_GROUP
