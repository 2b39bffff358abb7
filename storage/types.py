"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from core.model import Attachment


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; SQLite would drop the offset otherwise.

    A naive datetime is refused: the core only ever works with aware ones.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # Stored as text; all in UTC so that text order is time order.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StrEnumType(TypeDecorator[StrEnum]):
    """A StrEnum stored as its value in a plain VARCHAR (no native enum, no CHECK)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int | None = None) -> None:
        self.enum_class = enum_class
        super().__init__(length=length or max(len(m.value) for m in enum_class))

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> StrEnum | None:
        if value is None:
            return None
        return self.enum_class(value)

    @property
    def python_type(self) -> type:
        return self.enum_class

    def __repr__(self) -> str:
        return f"StrEnumType({self.enum_class.__name__}, length={self.impl.length})"


class AttachmentList(TypeDecorator[list[Attachment]]):
    """``list[Attachment]`` as a JSON array of ``{kind, ref, name}`` objects."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: list[Attachment] | None, dialect: Dialect) -> str:
        items = [{"kind": a.kind, "ref": a.ref, "name": a.name} for a in value or ()]
        return json.dumps(items, ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect: Dialect) -> list[Attachment]:
        if not value:
            return []
        return [Attachment(d["kind"], d["ref"], d.get("name", "")) for d in json.loads(value)]
