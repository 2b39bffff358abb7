"""A seeded fuzzer that drives the real dispatcher over a school imported from its files, and
an oracle that says, from the tables alone, which children each chat may see.

The oracle deliberately does not use ``core.access`` (that is what is under test): it reads
account links, guardian links, students, classes, staff roles, teachings, subgroup members and
lessons with SQLAlchemy core selects and applies DESIGN.md's roles table:

* the director, the deputy and the journal administrator: every child;
* a class teacher: the children of their class (this school year);
* a teacher: the children of the classes or groups they teach today (an ended teaching gives
  nothing), of lessons they substitute and of extra lessons given to them;
* a guardian: their own children, once consented, while the link lasts; a child who left only
  for the year the final marks are kept;
* a student: themself (the same year after leaving);
* anyone else, and every group chat: no child at all.

Every text, caption, button, alert and document the bot sends is scanned for each child's name
as it is rendered (``Иванов Пётр``, ``Иванов П.``, ``Иванов П.А.``, ``Пётр Иванов``, the full
name); a hit in a chat that may not see that child fails with the seed and the update.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import random
import re
import zipfile
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BufferedInputFile,
    Chat,
    FSInputFile,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from sqlalchemy import event, select

from storage import tables as t
from tests.support.recording import (
    BotTester,
    TgUser,
    bot_message,
    callback,
    document_message,
    group_message,
    photo_message,
    private_message,
)

FINALS_KEPT = timedelta(days=365)  # DESIGN: a left student's family reads the finals a year
ADMINISTRATION = {"admin", "director", "deputy"}
# Writes to these tables may change who sees whom: the oracle is recomputed after them.
ACCESS_TABLES = frozenset(
    {
        "accounts",
        "account_links",
        "guardian_links",
        "guardians",
        "students",
        "classes",
        "school_years",
        "staff_roles",
        "teachings",
        "subgroups",
        "subgroup_members",
        "lessons",
        "class_history",
    }
)
_WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)
_CODE = re.compile(r"(?:<code>|start=)([A-Za-z0-9_-]{16,64})(?![A-Za-z0-9_-])")
FAILURE_TEXTS = ("Что-то пошло не так", "Something went wrong")


# --- the oracle --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Child:
    id: int
    last_name: str
    first_name: str
    middle_name: str

    def forms(self) -> list[str]:
        """The child's name as screens and files render it."""
        last, first, middle = self.last_name, self.first_name, self.middle_name
        forms = [f"{last} {first}", f"{first} {last}", f"{last} {first[:1]}."]
        if middle:
            forms += [f"{last} {first[:1]}.{middle[:1]}.", f"{last} {first[:1]}. {middle[:1]}."]
        return forms


@dataclass
class Oracle:
    """Who may see which child right now, from the tables (never from ``core.access``)."""

    database: Any
    today: Callable[[], date]  # the school's clock
    children: dict[int, Child] = field(default_factory=dict)
    # a Telegram user id → the children that user may see
    visible: dict[int, frozenset[int]] = field(default_factory=dict)
    dirty: bool = True
    linked: frozenset[int] = frozenset()  # telegram ids with a link
    refreshes: int = 0
    _pattern: re.Pattern[str] | None = None
    _by_form: dict[str, int] = field(default_factory=dict)

    def watch(self) -> None:
        """Mark the oracle stale after any write to a table access is built from."""

        def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            found = _WRITE.match(statement)
            if found and found.group(1).lower() in ACCESS_TABLES:
                self.dirty = True

        event.listen(self.database.engine.sync_engine, "after_cursor_execute", _after)

    async def refresh(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        async with self.database.session(readonly=True) as session:
            rows = await _read(session)
        self.children = {
            s.id: Child(s.id, s.last_name, s.first_name, s.middle_name) for s in rows["students"]
        }
        by_form = {form: s for s, c in self.children.items() for form in c.forms()}
        if by_form != self._by_form:
            self._by_form = by_form
            # Longest first, so «Иванов П.А.» is one hit, not «Иванов П.» and a stray «А.».
            alternatives = sorted(by_form, key=len, reverse=True)
            self._pattern = re.compile(
                r"(?<!\w)(" + "|".join(re.escape(f) for f in alternatives) + r")(?!\w)"
            )
        self.refreshes += 1
        self.visible = _visibility(rows, self.today())
        self.linked = frozenset(
            int(x.external_id) for x in rows["links"] if x.external_id.lstrip("-").isdigit()
        )

    def sees(self, user_id: int) -> frozenset[int]:
        return self.visible.get(user_id, frozenset())

    def names_in(self, text: str) -> Iterator[tuple[int, str]]:
        """(child id, the form found) for every child named in ``text``."""
        assert self._pattern is not None
        for found in self._pattern.finditer(text):
            yield self._by_form[found.group(1)], found.group(1)


async def _read(session: Any) -> dict[str, list[Any]]:
    queries = {
        "students": select(
            t.students.c.id,
            t.students.c.last_name,
            t.students.c.first_name,
            t.students.c.middle_name,
            t.students.c.class_id,
            t.students.c.left_on,
            t.students.c.arrived_on,
        ),
        "links": select(
            t.accounts.c.external_id, t.account_links.c.role, t.account_links.c.person_id
        )
        .join(t.account_links, t.account_links.c.account_id == t.accounts.c.id)
        .where(t.accounts.c.messenger == "telegram", t.account_links.c.unlinked_at.is_(None)),
        "guardian_links": select(
            t.guardian_links.c.guardian_id,
            t.guardian_links.c.student_id,
            t.guardian_links.c.consent_at,
            t.guardian_links.c.ended_at,
        ),
        "roles": select(t.staff_roles.c.staff_id, t.staff_roles.c.role),
        "classes": select(t.classes.c.id, t.classes.c.year_id, t.classes.c.class_teacher_id),
        "years": select(t.school_years.c.id, t.school_years.c.starts_on, t.school_years.c.ends_on),
        "teachings": select(
            t.teachings.c.staff_id,
            t.teachings.c.class_id,
            t.teachings.c.subgroup_id,
            t.teachings.c.starts_on,
            t.teachings.c.ends_on,
        ),
        "members": select(
            t.subgroup_members.c.subgroup_id,
            t.subgroup_members.c.student_id,
            t.subgroup_members.c.starts_on,
            t.subgroup_members.c.ends_on,
        ),
        "lessons": select(
            t.lessons.c.class_id,
            t.lessons.c.subgroup_id,
            t.lessons.c.teacher_id,
            t.lessons.c.substitute_id,
            t.lessons.c.origin,
        ).where((t.lessons.c.substitute_id.is_not(None)) | (t.lessons.c.origin == "extra")),
    }
    return {name: list((await session.execute(q)).all()) for name, q in queries.items()}


def _on(day: date, starts: date | None, ends: date | None) -> bool:
    return (starts is None or starts <= day) and (ends is None or day <= ends)


def _role(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value)


def _visibility(rows: dict[str, list[Any]], today: date) -> dict[int, frozenset[int]]:
    students = {s.id: s for s in rows["students"]}
    everyone = frozenset(students)
    by_class: dict[int, set[int]] = {}
    for s in rows["students"]:
        by_class.setdefault(s.class_id, set()).add(s.id)
    members: dict[int, set[int]] = {}
    for m in rows["members"]:
        if _on(today, m.starts_on, m.ends_on):
            members.setdefault(m.subgroup_id, set()).add(m.student_id)
    years = {y.id for y in rows["years"] if y.starts_on <= today <= y.ends_on}
    roles: dict[int, set[str]] = {}
    for r in rows["roles"]:
        roles.setdefault(r.staff_id, set()).add(_role(r.role))

    def pupils(class_id: int, subgroup_id: int | None) -> set[int]:
        found = by_class.get(class_id, set())
        return found if subgroup_id is None else found & members.get(subgroup_id, set())

    def staff_sees(staff_id: int) -> frozenset[int]:
        if roles.get(staff_id, set()) & ADMINISTRATION:
            return everyone
        seen: set[int] = set()
        for c in rows["classes"]:
            if c.class_teacher_id == staff_id and c.year_id in years:
                seen |= by_class.get(c.id, set())
        for x in rows["teachings"]:
            if x.staff_id == staff_id and _on(today, x.starts_on, x.ends_on):
                seen |= pupils(x.class_id, x.subgroup_id)
        for x in rows["lessons"]:
            if x.substitute_id == staff_id or (
                x.teacher_id == staff_id and _role(x.origin) == "extra" and x.substitute_id is None
            ):
                seen |= pupils(x.class_id, x.subgroup_id)
        return frozenset(seen)

    def still_read(student_id: int) -> bool:
        s = students.get(student_id)
        return s is not None and (s.left_on is None or today <= s.left_on + FINALS_KEPT)

    visible: dict[int, set[int]] = {}
    for link in rows["links"]:
        try:
            user = int(link.external_id)
        except ValueError:
            continue
        seen = visible.setdefault(user, set())
        role = _role(link.role)
        if role == "guardian":
            seen |= {
                g.student_id
                for g in rows["guardian_links"]
                if g.guardian_id == link.person_id
                and g.ended_at is None
                and g.consent_at is not None
                and still_read(g.student_id)
            }
        elif role == "student":
            if still_read(link.person_id):
                seen.add(link.person_id)
        else:  # staff, by whatever role the invite carried: rights come from the school's data
            seen |= staff_sees(link.person_id)
    return {user: frozenset(seen) for user, seen in visible.items()}


# --- what the bot sent -------------------------------------------------------------------------


def _markup_texts(markup: Any) -> list[str]:
    if isinstance(markup, InlineKeyboardMarkup):
        return [b.text for row in markup.inline_keyboard for b in row]
    if isinstance(markup, ReplyKeyboardMarkup):
        return [b.text for row in markup.keyboard for b in row]
    return []


def document_text(file: Any) -> str:
    """What a sent file says, as far as a test can read it: CSV and text as they are, XLSX
    (its shared and inline strings), PDF (pypdf's text); images and the like: nothing."""
    if isinstance(file, BufferedInputFile):
        data = file.data
    elif isinstance(file, FSInputFile):
        with open(file.path, "rb") as handle:
            data = handle.read()
    else:
        return ""
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "\n".join(
                    archive.read(name).decode("utf-8", "replace")
                    for name in archive.namelist()
                    if name.endswith(".xml")
                )
        except zipfile.BadZipFile:
            return ""
    if data[:5] == b"%PDF-":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    if data[:4] == b"\x89PNG" or data[:3] == b"\xff\xd8\xff":
        return ""
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return ""


def outgoing(call: TelegramMethod[Any], callback_chats: dict[str, int]) -> tuple[int | None, str]:
    """(the chat that reads it, everything readable) of one Bot API call."""
    name = call.__api_method__
    if name == "answerCallbackQuery":
        return callback_chats.get(call.callback_query_id), call.text or ""
    chat_id = getattr(call, "chat_id", None)
    try:
        chat = int(chat_id) if chat_id is not None else None
    except ValueError:
        chat = None
    parts: list[str] = []
    for attribute in ("text", "caption", "question"):
        value = getattr(call, attribute, None)
        if isinstance(value, str):
            parts.append(value)
    parts += _markup_texts(getattr(call, "reply_markup", None))
    for attribute in ("document", "photo"):
        file = getattr(call, attribute, None)
        if file is not None and not isinstance(file, str):
            parts.append(document_text(file))
            parts.append(getattr(file, "filename", None) or "")
    for item in getattr(call, "media", None) or []:
        parts.append(item.caption or "")
        if not isinstance(item.media, str):
            parts.append(document_text(item.media))
    return chat, "\n".join(parts)


# --- the updates -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    """A person of the school on Telegram, in the role the campaign gives them."""

    role: str
    user: TgUser


COMMANDS = tuple(
    "start help marks finals attendance homework timetable progress children settings logout "
    "today att mark absences admin broadcast write invites cancel homework@schoolbot_test_bot "
    "nonsense".split()
)
WORDS = tuple(
    "КР|СР|У|Д|ЛР|ПР|н|б|зач|незач|осв|н/а|5|4|3|2|1|0|6|-1|5+|завтра|вчера|неделя|03.12.2026|"
    "2026-12-03|31.02.2026|08:30|25:61|all|все|Present_Perfect_revision|Упр. 5 стр. 12|да|нет|"
    "Б|Н".split("|")
)
CLASS_NAMES = ("5А", "6Б", "7А", "7а", "7 А", "11Я", "0А", "5A", "")
JUNK = (
    "\u200b",
    "\u202e",
    "\ufeff",
    "🙂",
    "👨‍👩‍👧",
    "<b>",
    "</i>",
    "&amp;",
    "<a href='x'>",
    "'; DROP TABLE students; --",
    "%s",
    "{name}",
    "\\",
    "\n",
    "\t",
    "Ё",
    "ё",
    "İ",
    "𝔘𝔫𝔦",
)
FILES = (
    ("roster.csv", "text/csv"),
    ("students.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("timetable.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("notes.txt", "text/plain"),
    ("empty.csv", "text/csv"),
    ("virus.exe", "application/octet-stream"),
    ("оценки.pdf", "application/pdf"),
)


def callback_classes() -> dict[str, list[type[CallbackData]]]:
    """Every callback data factory the bot has, by prefix."""
    import handlers

    handlers.routers()  # imports every handler module, so every factory is defined

    found: dict[str, list[type[CallbackData]]] = {}
    pending = list(CallbackData.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        prefix = getattr(cls, "__prefix__", None)
        if prefix:
            found.setdefault(prefix, []).append(cls)
    return found


@dataclass
class Ids:
    """Ids of the school's rows, to swap into callback data."""

    students: list[int]
    lessons: list[int]
    marks: list[int]
    classes: list[int]
    periods: list[int]
    subjects: list[int]
    attendance: list[int]
    staff: list[int]
    work_types: list[int]
    persons: list[int]

    @classmethod
    async def read(cls, database: Any) -> Ids:
        async with database.session(readonly=True) as session:

            async def ids(table: Any) -> list[int]:
                return sorted((await session.execute(select(table.c.id))).scalars())

            return cls(
                students=await ids(t.students),
                lessons=await ids(t.lessons),
                marks=await ids(t.marks),
                classes=await ids(t.classes),
                periods=await ids(t.periods),
                subjects=await ids(t.subjects),
                attendance=await ids(t.attendance),
                staff=await ids(t.staff),
                work_types=await ids(t.work_types),
                persons=await ids(t.guardians),
            )

    def for_field(self, name: str) -> list[int]:
        return {
            "student": self.students,
            "lesson": self.lessons,
            "mark": self.marks,
            "cls": self.classes,
            "class_id": self.classes,
            "period": self.periods,
            "subject": self.subjects,
            "item": self.subjects,
            "record": self.attendance,
            "teacher": self.staff,
            "staff": self.staff,
            "wt": self.work_types,
            "person": self.students + self.persons + self.staff,
        }.get(name, [])


class Generator:
    """Random updates from a seed: texts and commands, menu buttons, harvested and forged
    callback data, junk files and photos, edited messages, in private chats and groups."""

    def __init__(self, rng: random.Random, tester: BotTester, ids: Ids, names: list[str]) -> None:
        self.rng = rng
        self.tester = tester
        self.ids = ids
        self.surnames = names
        self.factories = callback_classes()
        self.menu: list[str] = []
        self._menu_seen: set[str] = set()
        self.harvested: list[str] = []
        self._harvest_seen: set[str] = set()
        self._harvested_upto = 0
        self.codes: list[str] = []  # invite codes the bot showed someone, to redeem elsewhere
        self._recent: dict[int, dict[tuple[int, int], None]] = {}  # chat → its newest messages

    # what the bot showed

    def harvest(self) -> None:
        """Buttons and menu labels from every message the bot sent since the last look."""
        calls = self.tester.session.requests
        for call in calls[self._harvested_upto :]:
            text = getattr(call, "text", None)
            if isinstance(text, str) and ("<code>" in text or "start=" in text):
                self.codes += [c for c in _CODE.findall(text) if c not in self.codes]
            markup = getattr(call, "reply_markup", None)
            if isinstance(markup, InlineKeyboardMarkup):
                for row in markup.inline_keyboard:
                    for button in row:
                        data = button.callback_data
                        if data and data not in self._harvest_seen:
                            self._harvest_seen.add(data)
                            self.harvested.append(data)
            elif isinstance(markup, ReplyKeyboardMarkup):
                for row in markup.keyboard:
                    for button in row:
                        if button.text not in self._menu_seen:
                            self._menu_seen.add(button.text)
                            self.menu.append(button.text)
        # where the bot's messages are now: sent or edited since the last look, newest last
        messages = self.tester.session.messages
        fresh = len(calls) - self._harvested_upto + 16  # media groups: a few messages a call
        for key in reversed(list(itertools.islice(reversed(messages), min(fresh, len(messages))))):
            recent = self._recent.setdefault(key[0], {})
            recent.pop(key, None)
            recent[key] = None
            if len(recent) > 40:
                del recent[next(iter(recent))]
        self._harvested_upto = len(calls)

    # pieces

    def _word(self) -> str:
        r = self.rng.random()
        if r < 0.3:
            return self.rng.choice(self.surnames)
        if r < 0.6:
            return self.rng.choice(WORDS)
        if r < 0.75:
            return self.rng.choice(CLASS_NAMES) or "7А"
        if r < 0.85:
            return str(self.rng.randint(-5, 10**12))
        return self._junk(self.rng.randint(1, 12))

    def _junk(self, length: int) -> str:
        pieces = []
        for _ in range(length):
            r = self.rng.random()
            if r < 0.4:
                pieces.append(self.rng.choice(JUNK))
            elif r < 0.7:
                pieces.append(chr(self.rng.randint(0x20, 0x7E)))
            elif r < 0.9:
                pieces.append(chr(self.rng.randint(0x400, 0x4FF)))
            else:
                code = self.rng.randint(0xA0, 0x2FFFF)
                if 0xD800 <= code <= 0xDFFF:
                    code = 0x2603
                pieces.append(chr(code))
        return "".join(pieces)

    def command(self) -> str:
        """A journal command as a teacher would type it, right or slightly wrong."""
        cls = self.rng.choice(CLASS_NAMES)
        names = " ".join(
            self.rng.choice(self.surnames)
            + (f" {self.rng.choice(WORDS)}" if self.rng.random() < 0.5 else "")
            for _ in range(self.rng.randint(0, 4))
        )
        return self.rng.choice(
            [
                f"/att {cls} {names}",
                f"/mark {cls} {self.rng.choice(WORDS)} {names}",
                f"/marks {names}",
                f"/homework {self.rng.choice(WORDS)}",
                f"/timetable {cls}",
                f"/start {self.rng.choice(COMMANDS)}",
            ]
        ).strip()

    def text(self) -> str:
        r = self.rng.random()
        if r < 0.03 and self.codes:
            code = self.rng.choice(self.codes)
            text = self.rng.choice([f"/start {code}", code, f" {code}\n"])
        elif r < 0.12:
            text = self.command()
        elif r < 0.35:
            command = self.rng.choice(COMMANDS)
            args = " ".join(self._word() for _ in range(self.rng.randint(0, 5)))
            text = f"/{command} {args}".strip()
        elif r < 0.45:
            junk = self.rng.choice(
                [
                    self._junk(self.rng.randint(1, 40)),
                    "".join(self.rng.choice("abcdefXYZ0123456789_-") for _ in range(24)),
                    "x" * self.rng.randint(65, 200),
                ]
            )
            text = f"/start {junk}"
        elif r < 0.65 and self.menu:
            text = self.rng.choice(self.menu)
        elif r < 0.72:
            text = self.rng.choice(["А", "Б", "я", "Ы"]) * self.rng.randint(3000, 4096)
        elif r < 0.8:
            text = "".join(self.rng.choice("abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(20))
        else:
            text = " ".join(self._word() for _ in range(self.rng.randint(1, 8)))
        return text[:4096] or "."

    def callback_data(self, own: list[str]) -> str:
        """A button of this chat's own keyboards (a user finding their way), one with its ids
        swapped, one from someone else's keyboard, one forged from a factory, or junk."""
        r = self.rng.random()
        if own and r < 0.5:
            return self.rng.choice(own)
        pool = own if own and self.rng.random() < 0.5 else self.harvested
        if pool and r < 0.75:
            return self._swapped(self.rng.choice(pool))
        if self.harvested and r < 0.85:
            return self.rng.choice(self.harvested)
        if r < 0.96:
            return self._forged()
        return self.rng.choice(["", ":", "d1", "d1:::::::", "x" * 64, self._junk(10)[:64]])

    def _swapped(self, data: str) -> str:
        """The same button with its ids replaced by other rows' ids (or nonsense)."""
        prefix, *values = data.split(":")
        classes = self.factories.get(prefix)
        if not classes:
            return data
        cls = self.rng.choice(classes)
        names = list(cls.model_fields)
        if len(names) != len(values):
            return data
        for i, (name, value) in enumerate(zip(names, values, strict=True)):
            if not value.lstrip("-").isdigit() or self.rng.random() < 0.3:
                continue
            values[i] = self._int_for(name, int(value))
        return ":".join([prefix, *values])

    def _int_for(self, name: str, value: int) -> str:
        pool = self.ids.for_field(name)
        r = self.rng.random()
        if pool and r < 0.8:
            return str(self.rng.choice(pool))
        if name == "day" or value > 700_000:  # date ordinals
            return str(value + self.rng.randint(-40, 40))
        return str(self.rng.choice([0, -1, value + 1, 2**31, 10**18]))

    def _forged(self) -> str:
        prefix = self.rng.choice(sorted(self.factories))
        cls = self.rng.choice(self.factories[prefix])
        values = []
        for name, info in cls.model_fields.items():
            annotation = info.annotation
            if annotation is bool:
                values.append(self.rng.choice(["0", "1", "2"]))
            elif annotation is int:
                values.append(self._int_for(name, 0))
            elif isinstance(annotation, type) and issubclass(annotation, Enum):
                values.append(str(self.rng.choice(list(annotation)).value))
            else:
                values.append(self.rng.choice(["", "c", "m", "x", "all", "fin", "5", "del", "s"]))
        return ":".join([prefix, *values])[:64]

    # updates

    def _document(self, actor: Actor, chat: Chat) -> Update:
        name, mime = self.rng.choice(FILES)
        data = self._file_bytes(name)
        file_id = self.tester.session.add_file(data)  # getFile and the download find it
        return document_message(
            actor.user,
            file_id=file_id,
            file_name=name,
            mime_type=mime,
            caption=self._caption(),
            chat=chat,
            file_size=len(data),
        )

    def _file_bytes(self, name: str) -> bytes:
        r = self.rng.random()
        if name.endswith(".csv") and r < 0.6:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            width = self.rng.randint(1, 7)
            for _ in range(self.rng.randint(0, 6)):
                writer.writerow([self._word() for _ in range(width)])
            return buffer.getvalue().encode(self.rng.choice(["utf-8", "utf-8-sig"]))
        if name.endswith(".xlsx") and r < 0.5:
            return b"PK\x03\x04" + self.rng.randbytes(self.rng.randint(0, 300))
        return self.rng.randbytes(self.rng.randint(0, 2000))

    def _caption(self) -> str | None:
        return self.text()[:1024] if self.rng.random() < 0.3 else None

    def _photo(self, actor: Actor, chat: Chat) -> Update:
        update = photo_message(actor.user, caption=self._caption(), chat=chat)
        assert update.message is not None and update.message.photo
        for size in update.message.photo:
            self.tester.session.add_file(self.rng.randbytes(64), size.file_id)
        return update

    def _keyboards(self, chat_id: int) -> list[tuple[dict[str, Any], list[str]]]:
        """The newest messages with buttons in this chat, each with its callback data."""
        found: list[tuple[dict[str, Any], list[str]]] = []
        messages = self.tester.session.messages
        for key in reversed(self._recent.get(chat_id, {})):
            message = messages.get(key)
            if message is None or not message.get("reply_markup"):
                continue
            rows = message["reply_markup"].get("inline_keyboard", [])
            data = [b["callback_data"] for row in rows for b in row if b.get("callback_data")]
            if data:
                found.append((message, data))
                if len(found) == 8:
                    break
        return found

    def update(self, actor: Actor, group: Chat | None) -> Update:
        user = actor.user
        chat = group or user.private_chat()
        r = self.rng.random()
        if r < 0.42:
            return _text_message(user, group, self.text())
        if r < 0.85:
            keyboards = self._keyboards(chat.id)
            # mostly the newest keyboard, as people press what they were just shown
            newest = keyboards[: 1 if self.rng.random() < 0.6 else None]
            own = [d for _, data in newest for d in data]
            data = self.callback_data(own)
            carrying = [m for m, data_ in keyboards if data in data_]
            if carrying:
                message = Message.model_validate(carrying[0])
            elif keyboards and self.rng.random() < 0.8:
                message = Message.model_validate(self.rng.choice(keyboards)[0])
            else:
                message = bot_message(chat)
            return callback(data, user=user, message=message)
        if r < 0.92:
            return self._document(actor, chat)
        if r < 0.96:
            return self._photo(actor, chat)
        sent = _text_message(user, group, self.text())
        assert sent.message is not None
        edited = sent.message.model_copy(update={"edit_date": int(sent.message.date.timestamp())})
        return Update(update_id=sent.update_id, edited_message=edited)


def _text_message(user: TgUser, group: Chat | None, text: str) -> Update:
    if group is None:
        return private_message(text, user=user)
    return group_message(text, user=user, chat_id=group.id, title=group.title or "")


# --- the campaign ------------------------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Errors the dispatcher's error path logged (an unexpected exception in a handler)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        found = [self.format(r) if r.exc_info else r.getMessage() for r in self.records]
        self.records.clear()
        return found


def describe(update: Update) -> str:
    return json.dumps(
        update.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
        ensure_ascii=False,
    )[:3000]


def callback_chat(update: Update) -> dict[str, int]:
    query = update.callback_query
    if query is None or query.message is None:
        return {}
    return {query.id: query.message.chat.id}


def scan(
    oracle: Oracle,
    calls: Iterable[TelegramMethod[Any]],
    chats: dict[str, int],
    before: dict[int, frozenset[int]],
    typed: str,
) -> list[str]:
    """Leaks in what one update made the bot send: a child named in a chat whose user may see
    that child neither before nor after the update (a group chat sees no child)."""
    problems = []
    for call in calls:
        chat, text = outgoing(call, chats)
        if not text:
            continue
        for word in FAILURE_TEXTS:
            if word in text:
                problems.append(f"{call.__api_method__} to {chat}: {text[:300]!r}")
        if chat is None:
            continue
        allowed = frozenset() if chat < 0 else oracle.sees(chat) | before.get(chat, frozenset())
        for child, form in oracle.names_in(text):
            if child in allowed or form in typed:
                continue
            problems.append(
                f"{call.__api_method__} to chat {chat} names {form!r} (child {child}), "
                f"who may see {sorted(allowed)}: {text[:600]!r}"
            )
    return problems


def typed_by(update: Update) -> str:
    """What the user wrote in this update: the bot may say it back."""
    message = update.message or update.edited_message
    if message is None:
        return ""
    return "\n".join(x for x in (message.text, message.caption) if x)


@dataclass
class Campaign:
    """Feeds ``cases`` random updates from ``seed`` through the real dispatcher, checking each
    one: no error on the dispatcher's error path, no «something went wrong», no child named in
    a chat that may not see them. ``relink`` signs an actor back in after a random /logout."""

    tester: BotTester
    oracle: Oracle
    generator: Generator
    actors: list[Actor]
    groups: list[Chat]
    seed: int
    # the updates that sign an actor in again ([] when they cannot come back)
    relink: Callable[[Actor], Awaitable[list[Any]]]
    linked: set[int] = field(default_factory=set)  # telegram ids that should stay signed in
    deliver: Callable[[], Awaitable[None]] | None = None  # the pushes due now, through the bot
    tick: Callable[[random.Random], Awaitable[None]] | None = None  # moves the school's clock
    every: int = 1000  # updates between two ticks and deliveries
    fed: int = 0
    pushes: int = 0
    sent: int = 0

    async def feed(self, update: Update, case: int, actor: Actor, errors: ErrorLog) -> None:
        before = self.oracle.visible
        chats = callback_chat(update)
        try:
            calls = await self.tester.feed(update)
        except Exception as exc:
            raise AssertionError(self._report(case, actor, update, [repr(exc)])) from exc
        self.fed += 1
        self.sent += len(calls)
        failed = errors.take()
        await self.oracle.refresh()
        problems = failed + scan(self.oracle, calls, chats, before, typed_by(update))
        if problems:
            raise AssertionError(self._report(case, actor, update, problems))
        self.generator.harvest()

    def _report(self, case: int, actor: Actor, update: Update, problems: list[str]) -> str:
        shown = "\n".join(problems)[:6000]
        return (
            f"FUZZ_SEED={self.seed} case {case}: {actor.role} (telegram {actor.user.id}) "
            f"sent {describe(update)}\n{shown}\n"
            f"(replay: FUZZ_SEED={self.seed} FUZZ_CASES={case + 1})"
        )

    async def run(self, cases: int) -> None:
        rng = self.generator.rng
        errors = ErrorLog()
        watched = logging.getLogger()  # the error router's log, the worker's, anyone's
        watched.addHandler(errors)
        try:
            for case in range(cases):
                actor = rng.choice(self.actors)
                group = rng.choice(self.groups) if self.groups and rng.random() < 0.15 else None
                await self.feed(self.generator.update(actor, group), case, actor, errors)
                await self._come_back(case, errors)
                if (case + 1) % self.every == 0 or case + 1 == cases:
                    await self._between(case, errors)
        finally:
            watched.removeHandler(errors)

    async def _between(self, case: int, errors: ErrorLog) -> None:
        """The pushes due are sent, and scanned by the same rule as answers; time moves on;
        marks, records and lessons made meanwhile are swapped into callbacks from now on."""
        if self.deliver is not None:
            await self._deliver(case, errors)
        if self.tick is not None:
            await self.tick(self.generator.rng)
            self.oracle.dirty = True  # who sees whom depends on the day
        self.generator.ids = await Ids.read(self.oracle.database)

    async def _deliver(self, case: int, errors: ErrorLog) -> None:
        start = len(self.tester.session.requests)
        assert self.deliver is not None
        await self.deliver()
        calls = self.tester.session.requests[start:]
        self.pushes += len(calls)
        await self.oracle.refresh()
        problems = errors.take() + scan(self.oracle, calls, {}, self.oracle.visible, "")
        if problems:
            shown = "\n".join(problems)[:6000]
            raise AssertionError(
                f"FUZZ_SEED={self.seed}: pushes sent after case {case}:\n{shown}\n"
                f"(replay: FUZZ_SEED={self.seed} FUZZ_CASES={case + 1})"
            )

    async def _come_back(self, case: int, errors: ErrorLog) -> None:
        """Actors who signed themselves out sign in again with a fresh code."""
        signed_in = self.oracle.linked
        for actor in self.actors:
            if actor.user.id in self.linked and actor.user.id not in signed_in:
                updates = await self.relink(actor)
                if not updates:
                    self.linked.discard(actor.user.id)
                for update in updates:
                    if callable(update):
                        update = update()
                    await self.feed(update, case, actor, errors)
