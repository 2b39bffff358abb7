"""Configuration from environment variables and a ``.env`` file (DESIGN.md, contracts)."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.messages import N_
from core import redaction
from core.clock import Clock, make_clock
from core.status import Backups

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///schoolbot.db"
# A setting named like this is a secret even when it is a plain string (BACKUP_KEY, ...).
SECRET_NAME = re.compile(r"token|secret|password|key$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    bot_username: str | None = None  # for t.me links in invites
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

    @field_validator("telegram_api_url")
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

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        return value.lstrip("@") if value else None

    @property
    def token_problem(self) -> str | None:
        """Why BOT_TOKEN cannot be a token (a message id, translated where it is shown),
        checked before anything slow is loaded."""
        if self.bot_token is None or ":" not in self.bot_token.get_secret_value():
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

    def invite_link(self, code: str) -> str | None:
        if not self.bot_username:
            return None
        return f"https://t.me/{self.bot_username}?start={code}"
