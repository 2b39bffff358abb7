"""What an import did, entity by entity, and every problem with its file and line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.tabular import Problem

Progress = Callable[[str, int, int], None]

ENTITIES = (
    "year",
    "period",
    "holiday",
    "work_type",
    "subject",
    "staff",
    "class",
    "subgroup",
    "student",
    "guardian",
    "guardian_link",
    "teaching",
    "bell",
    "timetable",
    "lesson",
    "mark",
)


@dataclass
class Tally:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    left: int = 0  # students who left; links, teaching and timetable lines ended; lessons removed
    moved: int = 0  # students moved to another class

    @property
    def total(self) -> int:
        return self.added + self.changed + self.unchanged + self.left


@dataclass
class ImportReport:
    kind: str  # roster, timetable, oneroster
    tallies: dict[str, Tally] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    applied: bool = False

    def tally(self, entity: str) -> Tally:
        return self.tallies.setdefault(entity, Tally())

    @property
    def ok(self) -> bool:
        return not self.errors

    def rows(self) -> list[tuple[str, Tally]]:
        return [(e, self.tallies[e]) for e in ENTITIES if e in self.tallies]
