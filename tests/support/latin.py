"""Latin words in Russian text: what a Russian reader should never meet besides names, codes
and units. Used on the Russian catalogue (``tests/test_locales.py``) and on everything the bot
shows in a school day (``tests/school/test_russian_everywhere.py``)."""

from __future__ import annotations

import re
from html import unescape

# Words a Russian school writes in Latin letters too, each for a reason:
ALLOWED = frozenset(
    {
        "QR",  # «QR-код»: the printed cards
        "PDF",  # file kinds the administration sends and receives
        "XLSX",
        "CSV",
        "ZIP",
        "Excel",  # «таблица Excel»: the program, a name
        "OneRoster",  # the roster format's name
        "Telegram",  # the messenger's name
        "MAX",  # the other messenger's name
        "Redis",  # the program a large school keeps its bot's state in (the console says so)
        "Start",  # Telegram's own button «Start», as the phone shows it
        "English",  # the language named in itself, on the button that switches to it
    }
)
_ROMAN = re.compile(r"^[IVX]+$")  # «II четверть»: a period's number

_CODE = re.compile(r"<code>.*?</code>", re.S)  # invite codes, ids, typed examples
_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"(?:https?://|t\.me/)\S+")
_AT = re.compile(r"@\w+")
_EXTENSION = re.compile(r"\.(?:pdf|xlsx|csv|zip|png|txt)\b", re.I)  # a file's name
_COMMAND = re.compile(r"/[a-z_]+\b")  # /marks, /att: commands are typed as they are
_TOKEN = re.compile(r"\b[A-Za-z0-9_-]{16,}\b")  # an invite code printed bare
_PLACEHOLDER = re.compile(r"\{\w+(?:[:!][^}]*)?\}")  # {name} in a catalogue's message
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


def latin_words(text: str) -> list[str]:
    """The Latin words of ``text`` that are not a code, a command, a link, a placeholder or an
    allowed name."""
    text = _CODE.sub(" ", text)
    text = unescape(_TAG.sub(" ", text))
    for pattern in (_URL, _AT, _EXTENSION, _COMMAND, _TOKEN, _PLACEHOLDER):
        text = pattern.sub(" ", text)
    return [w for w in _WORD.findall(text) if w not in ALLOWED and not _ROMAN.match(w)]
