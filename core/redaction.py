"""No secret leaves the process: the bot token, the database and Redis passwords and the
webhook secret are replaced by ``***`` in every log line, printed error and stored error.

The values are registered once at start-up (``app.config.Settings.secret_values``); whatever
library formats a message (the messenger client, aiohttp, SQLAlchemy, asyncpg, APScheduler),
the text passes through :func:`redact` before it is written anywhere: a filter on the logging
handlers, the console's error lines, and the columns that keep an error's text.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import quote, unquote, urlsplit

MASK = "***"
MIN_SECRET = 4  # a shorter value would blank out ordinary words; such a secret protects nothing
MIN_HALF = 8  # a token's secret half alone is masked from this length (a real one has 35)

# What looks like a secret even when it was never registered: a password in a URL's user
# part (scheme://user:password@host) and a bot token (digits, a colon, 30+ token letters),
# also percent-encoded.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][\w+.-]*://[^/\s:@]*:)[^@\s/]+(?=@)")
_BOT_TOKEN = re.compile(r"\b\d{3,}(?::|%3[Aa])[\w-]{30,}")


class Redactor:
    """The registered secrets and the replacement of each in a text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def register(self, *values: str | None) -> None:
        """Each value, its percent-encoded forms and, for a token ``id:secret``, its secret
        half."""
        forms: set[str] = set()
        for value in values:
            if not value:
                continue
            forms.update((value, quote(value, safe=""), quote(value), unquote(value)))
            half = value.split(":", 1)[1] if ":" in value else ""
            if len(half) >= MIN_HALF:
                forms.add(half)
        with self._lock:
            self._values |= {f for f in forms if len(f) >= MIN_SECRET}
            # the longest first, so a token is masked whole, not only its secret half
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def register_url(self, url: str | None) -> None:
        """A URL's password (as written and decoded)."""
        if not url:
            return
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            self.register(password)

    def redact(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
        return _BOT_TOKEN.sub(MASK, text)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None


REDACTOR = Redactor()  # one per process, like the logging it guards


def register(*values: str | None) -> None:
    REDACTOR.register(*values)


def register_url(url: str | None) -> None:
    REDACTOR.register_url(url)


def redact(text: object) -> str:
    """The text with every registered secret (and anything shaped like one) masked."""
    return REDACTOR.redact(str(text))


def one_line(error: object) -> str:
    """An error's first line, masked: without the SQL, parameters and links a driver adds
    below it."""
    text = str(error)
    line = next((part for part in text.splitlines() if part.strip()), "") or repr(error)
    return redact(line)


class RedactingFilter(logging.Filter):
    """Masks secrets in a record before any handler formats it: the message with its
    arguments, the traceback and the stack. The record leaves with plain text only, so no
    later formatter can print the exception's own (unmasked) words."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it itself
            message = str(record.msg)
        record.msg, record.args = self.redactor.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        record._redacted = True
        return True


_FORMATTER = logging.Formatter()
_FILTER = RedactingFilter()


def guard_logging() -> None:
    """Put the filter on every handler of the root logger and on logging's last resort
    (what prints a warning when no handler is set); call it again after adding handlers.
    Also masks a traceback that ends the process."""
    handlers = [*logging.getLogger().handlers]
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for handler in handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    if sys.excepthook is not _excepthook:
        sys.excepthook = _excepthook


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))


def protect(values: Iterable[str | None], urls: Iterable[str | None] = ()) -> None:
    """Register the secrets and the URLs' passwords, then guard logging."""
    register(*values)
    for url in urls:
        register_url(url)
    guard_logging()
