"""Configuration from environment variables and a ``.env`` file (DESIGN.md, contracts)."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.messages import N_
from core import redaction
from core.clock import Clock, make_clock
from core.status import Backups

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///schoolbot.db"
# A setting named like this is a secret even when it is a plain string (BACKUP_KEY, ...).
SECRET_NAME = re.compile(r"token|secret|password|key$")
# MAX takes a webhook secret of these characters only (X-Max-Bot-Api-Secret).
MAX_SECRET = re.compile(r"[A-Za-z0-9_-]{5,256}")
DEEP_LINK_MAX = "https://max.ru/{bot}?start={code}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    bot_username: str | None = None  # for t.me links in invites
    # MAX (issue #13): its token turns it on, alone or beside BOT_TOKEN in the same process.
    max_bot_token: SecretStr | None = None
    max_bot_username: str | None = None  # for max.ru links in invites (else /me's username)
    max_api_url: str | None = None  # None: MAX's own (bot.max.session.MAX_API_URL)
    max_webhook_url: str | None = None  # public base URL; set it to take MAX updates by webhook
    max_webhook_path: str = "/max"
    max_webhook_secret: SecretStr | None = None  # checked against X-Max-Bot-Api-Secret
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_url: str | None = None
    redis_url: str | None = None
    school_timezone: str = "Europe/Moscow"
    default_locale: str = "ru"
    schoolbot_now: str | None = Field(default=None, description="freeze the clock (ISO)")
    webhook_url: str | None = None  # public base URL; set it to run with a webhook
    webhook_path: str = "/telegram"
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    # The delivery worker: a killed worker's pushes are taken again after the lease; the
    # rate is messages a second to Telegram overall (0: no limit, for a local Bot API).
    delivery_lease_seconds: float = Field(default=60.0, gt=0)
    delivery_rate: int = Field(default=30, ge=0)
    backup_dirs: str = ""  # comma-separated folders for scheduled backups (two places)
    backup_keep: int = 14  # newest backups kept in each folder
    backup_key: SecretStr | None = None  # signs (and encrypts) backups: schoolbot backup key new
    backup_encrypt: bool = True  # Fernet at rest, with a key derived from BACKUP_KEY

    @field_validator("school_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in ("ru", "en"):
            raise ValueError("DEFAULT_LOCALE must be ru or en")
        return value

    @field_validator("schoolbot_now")
    @classmethod
    def _iso_time(cls, value: str | None) -> str | None:
        if value:
            datetime.fromisoformat(value)
        return value or None

    @field_validator("bot_token", "max_bot_token", "max_webhook_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("max_webhook_secret")
    @classmethod
    def _max_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not MAX_SECRET.fullmatch(value.get_secret_value()):
            # the value is not repeated: it is a secret
            raise ValueError(N_("it must be 5 to 256 characters: latin letters, digits, - and _"))
        return value

    @field_validator("telegram_api_url", "max_api_url", "max_webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            parts = urlsplit(value)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
        except ValueError:
            ok = False
        if not ok:  # the value is not repeated: a token may be in it
            raise ValueError(N_("it must be an http:// or https:// address with a host"))
        return value.rstrip("/")

    @field_validator("bot_username", "max_bot_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        return value.strip().lstrip("@") or None if value else None

    @property
    def messengers(self) -> tuple[str, ...]:
        """The messengers this deployment runs: those with a token, Telegram first."""
        tokens = (("telegram", self.bot_token), ("max", self.max_bot_token))
        return tuple(name for name, token in tokens if token is not None)

    @property
    def token_problem(self) -> str | None:
        """Why the bot cannot start with these tokens (a message id, translated where it is
        shown), checked before anything slow is loaded: neither BOT_TOKEN nor MAX_BOT_TOKEN,
        or a BOT_TOKEN that cannot be Telegram's."""
        if self.bot_token is None and self.max_bot_token is None:
            return N_("BOT_TOKEN (Telegram) or MAX_BOT_TOKEN (MAX) is not set")
        if self.bot_token is not None and ":" not in self.bot_token.get_secret_value():
            return N_("BOT_TOKEN is missing or malformed (expected 123456:ABC...)")
        return None

    def guard_secrets(self) -> None:
        """From here on no log line, printed error or stored error shows a secret of these
        settings: every ``SecretStr`` (the bot tokens, the webhook secret, keys), any value
        named like a secret, and the passwords in every ``*_URL``."""
        values: list[str] = []
        urls: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                values.append(value.get_secret_value())
            elif isinstance(value, str) and SECRET_NAME.search(name):
                values.append(value)
            if name.endswith("_url") and isinstance(value, str):
                urls.append(value)
        redaction.protect(values, urls)

    @property
    def backups(self) -> Backups:
        """The scheduled backups' places, key and last restore drill, as the backup reads them."""
        from storage.backup import backup_state

        return backup_state(self)

    def clock(self) -> Clock:
        return make_clock(self.school_timezone, self.schoolbot_now)

    def invite_bots(self) -> dict[str, str | None]:
        """For each messenger an invite names, its bot's username (None: unknown). The
        messengers running here; for the console, which runs none, those whose bot's username
        is set, and Telegram when neither is."""
        names = {"telegram": self.bot_username, "max": self.max_bot_username}
        on = self.messengers or tuple(name for name, user in names.items() if user)
        return {name: names[name] for name in on or ("telegram",)}

    def invite_links(self, code: str) -> list[tuple[str, str]]:
        """The deep links that sign in with ``code``: (messenger, link), one for each messenger
        of the invite whose bot's username is known."""
        links = {"telegram": "https://t.me/{bot}?start={code}", "max": DEEP_LINK_MAX}
        return [
            (name, links[name].format(bot=user, code=code))
            for name, user in self.invite_bots().items()
            if user
        ]

    def invite_link(self, code: str) -> str | None:
        """The first of :meth:`invite_links` (Telegram's when it runs), or None."""
        links = self.invite_links(code)
        return links[0][1] if links else None
