"""OneRoster 1.1 / 1.2 CSV bundles -> the roster's typed rows.

What maps where: the chosen ``school`` org; the school year and its periods from
``academicSessions`` (grading periods, else terms, else semesters); ``homeroom`` classes are
the journal's classes (7А), ``scheduled`` classes are subjects taught to a whole class or to a
subgroup of it; users are staff, students or guardians (``agentSourcedIds``, also the 1.0 name
``agents``); ``demographics`` give birth dates; ``categories``/``lineItems``/``results`` are
marks. What the standard allows but the journal cannot use is a warning; what would import
wrongly or lose data (a dangling id, a student with no class, a role that contradicts itself)
is an error with its file and line, and nothing is imported.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from core.imports import (
    CalendarRow,
    ClassKey,
    GuardianRow,
    MarkRow,
    RosterData,
    StaffRow,
    StudentRow,
    SubgroupRow,
    SubjectRow,
    TeachingRow,
    Where,
)
from core.model import MarkValue, PeriodKind, StaffRoleKind
from core.tabular import Problems, SourceRow, SourceTable, parse_class, parse_date, split_list

VERSIONS = ("1.0", "1.1", "1.2")
MODES = ("absent", "bulk", "delta")

# Columns the journal needs from each file (besides sourcedId); others are ignored.
NEEDED: dict[str, tuple[str, ...]] = {
    "orgs": ("sourcedId", "name", "type"),
    "academicSessions": ("sourcedId", "title", "type", "startDate", "endDate"),
    "courses": ("sourcedId", "title"),
    "classes": ("sourcedId", "title", "classType", "schoolSourcedId"),
    "users": ("sourcedId", "givenName", "familyName"),
    "enrollments": ("sourcedId", "classSourcedId", "userSourcedId", "role"),
    "demographics": ("sourcedId", "birthDate"),
    "roles": ("userSourcedId", "roleType", "role"),
    "categories": ("sourcedId", "title"),
    "lineItems": ("sourcedId", "classSourcedId", "assignDate"),
    "results": ("sourcedId", "lineItemSourcedId", "studentSourcedId", "score"),
}
FILES = tuple(NEEDED)
# Names from OneRoster 1.0 that 1.1 renamed.
OLD_NAMES: dict[str, dict[str, str]] = {
    "users": {"agents": "agentSourcedIds", "userId": "userIds"},
    "demographics": {"userSourcedId": "sourcedId", "birthdate": "birthDate"},
}

STUDENT = "student"
GUARDIANS = {"parent", "guardian", "relative"}
STAFF_ROLES: dict[str, StaffRoleKind] = {
    "teacher": StaffRoleKind.TEACHER,
    "aide": StaffRoleKind.TEACHER,
    "proctor": StaffRoleKind.TEACHER,
    "administrator": StaffRoleKind.ADMIN,
    "siteAdministrator": StaffRoleKind.ADMIN,
    "systemAdministrator": StaffRoleKind.ADMIN,
    "districtAdministrator": StaffRoleKind.ADMIN,
    "principal": StaffRoleKind.DIRECTOR,
}
GRADE_CODES = {f"{n:02d}": n for n in range(1, 13)} | {str(n): n for n in range(1, 13)}
PERIOD_KINDS = {4: PeriodKind.QUARTER, 3: PeriodKind.TRIMESTER, 2: PeriodKind.HALF_YEAR}


@dataclass
class _Rec:
    file: str
    row: SourceRow

    @property
    def id(self) -> str:
        return self.row.get("sourcedId")

    def get(self, column: str) -> str:
        return self.row.get(column)

    @property
    def where(self) -> Where:
        return Where(self.file, self.row.line)


@dataclass
class _Student:
    rec: _Rec
    cls: ClassKey | None = None
    subgroups: list[str] = field(default_factory=list)
    birth: date | None = None


class _Bundle:
    def __init__(self, tables: list[SourceTable], problems: Problems) -> None:
        self.problems = problems
        self.by_name = {t.file.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower(): t for t in tables}
        self.version = ""
        self.modes: dict[str, str] = {}
        self.records: dict[str, dict[str, _Rec]] = {}
        self.removed: dict[str, dict[str, _Rec]] = defaultdict(dict)

    def table(self, name: str) -> SourceTable | None:
        return self.by_name.get(f"{name.lower()}.csv")

    def error(self, where: Where, code: str, **facts: object) -> None:
        self.problems.error(where.file, where.line, code, **facts)

    def warn(self, where: Where, code: str, **facts: object) -> None:
        self.problems.warn(where.file, where.line, code, **facts)

    def manifest(self) -> None:
        table = self.table("manifest")
        if table is None:
            self.problems.error("manifest.csv", None, "missing_file")
            return
        props = {}
        for row in table.rows:
            name, value = row.get("propertyName"), row.get("value")
            props[name] = value
            if name.startswith("file.") and value not in MODES:
                self.problems.error(
                    table.file, row.line, "bad_manifest_value", name=name, value=value
                )
            elif name.startswith("file."):
                self.modes[name[5:]] = value
        self.version = props.get("oneroster.version", "")
        if self.version not in VERSIONS:
            self.problems.error(table.file, None, "bad_version", value=self.version)
        for name, mode in self.modes.items():
            present = self.table(name) is not None
            if mode != "absent" and not present:
                self.problems.error(f"{name}.csv", None, "missing_file")
            elif mode == "absent" and present and name in NEEDED:
                self.problems.warn(f"{name}.csv", None, "file_ignored")

    def read(self, name: str) -> None:
        """The active records of a file by sourcedId; tobedeleted ones apart."""
        self.records[name] = {}
        table = self.table(name)
        if table is None or self.modes.get(name, "absent") == "absent":
            return
        header = set(table.header)
        renames = {old: new for old, new in OLD_NAMES.get(name, {}).items() if old in header}
        missing = [c for c in NEEDED[name] if c not in header and c not in renames.values()]
        for column in missing:
            self.problems.error(table.file, table.header_line, "missing_column", column=column)
        if missing:
            return
        key = "sourcedId" if name != "roles" else "userSourcedId"
        seen: dict[str, int] = {}
        for row in table.rows:
            if renames:
                values = dict(row.values)
                for old, new in renames.items():
                    values.setdefault(new, values.pop(old, ""))
                row = SourceRow(row.line, values)
            rec = _Rec(table.file, row)
            sid = row.get(key)
            if not sid:
                self.error(rec.where, "empty_value", column=key)
                continue
            status = row.get("status")
            if name != "roles":
                if sid in seen:
                    self.error(rec.where, "duplicate_id", id=sid, first_line=seen[sid])
                    continue
                seen[sid] = row.line
            if status in ("", "active"):
                if name == "roles":
                    self.records[name].setdefault(sid, rec)
                    if row.get("roleType") == "primary":
                        self.records[name][sid] = rec
                else:
                    self.records[name][sid] = rec
            elif status in ("tobedeleted", "inactive"):
                self.removed[name][sid] = rec
            else:
                self.error(rec.where, "bad_status", value=status)
            changed = row.get("dateLastModified")
            if changed and parse_date(changed) is None:
                self.warn(rec.where, "bad_date_ignored", column="dateLastModified", value=changed)


def parse_bundle(
    tables: list[SourceTable], school: str | None = None
) -> tuple[RosterData, Problems]:
    problems = Problems()
    b = _Bundle(tables, problems)
    b.manifest()
    if problems.errors:
        return RosterData(), problems
    for name in FILES:
        b.read(name)
    if problems.errors:
        return RosterData(), problems
    return _Mapper(b, school).map(), problems


class _Mapper:
    def __init__(self, b: _Bundle, school: str | None) -> None:
        self.b = b
        self.wanted_school = school
        self.data = RosterData(complete=b.modes.get("users") == "bulk")
        self.r = b.records

    def map(self) -> RosterData:
        school = self._school()
        if school is None:
            return self.data
        self.school = school
        self.data.school_name = school.get("name")
        self._calendar()
        self._subjects()
        self._users()
        self._classes()
        self._enrollments()
        self._place_students()
        self._guardians()
        self._gradebook()
        return self.data

    def _school(self) -> _Rec | None:
        orgs = self.r["orgs"]
        if self.wanted_school:
            found = orgs.get(self.wanted_school)
            if found is None:
                self.b.problems.error("orgs.csv", None, "unknown_school", value=self.wanted_school)
            return found
        schools = [o for o in orgs.values() if o.get("type") == "school"]
        if len(schools) > 1:
            self.b.error(
                schools[1].where, "several_schools", value=", ".join(o.id for o in schools)
            )
            return None
        if schools:
            return schools[0]
        if len(orgs) == 1:
            only = next(iter(orgs.values()))
            self.b.warn(only.where, "org_not_school", value=only.get("type"))
            return only
        self.b.problems.error("orgs.csv", None, "no_school")
        return None

    # -- calendar ---------------------------------------------------------------------------

    def _calendar(self) -> None:
        sessions = list(self.r["academicSessions"].values())
        dated = []
        for s in sessions:
            starts, ends = parse_date(s.get("startDate")), parse_date(s.get("endDate"))
            if starts is None or ends is None:
                bad = "startDate" if starts is None else "endDate"
                self.b.error(s.where, "bad_date", column=bad, value=s.get(bad))
            elif starts > ends:
                self.b.error(s.where, "ends_before_start")
            else:
                dated.append((s, starts, ends))
        if not dated:
            return
        first_years = Counter(d[1].year if d[1].month >= 8 else d[1].year - 1 for d in dated)
        first = first_years.most_common(1)[0][0]
        self.data.year_name = f"{first}/{first + 1}"
        for kind in ("gradingPeriod", "term", "semester"):
            chosen = sorted((d for d in dated if d[0].get("type") == kind), key=lambda d: d[1])
            if chosen:
                break
        period_kind = PERIOD_KINDS.get(len(chosen), PeriodKind.QUARTER)
        for number, (s, starts, ends) in enumerate(chosen, start=1):
            self.data.calendar.append(
                CalendarRow(s.where, self.data.year_name, period_kind, number, starts, ends)
            )

    # -- subjects and classes ------------------------------------------------------------------

    def _subjects(self) -> None:
        for course in self.r["courses"].values():
            self.data.subjects.append(SubjectRow(course.where, course.get("title")))

    def _subject_of(self, cls: _Rec) -> str:
        course_id = cls.get("courseSourcedId")
        courses = self.r["courses"]
        if course_id and course_id in courses:
            return courses[course_id].get("title")
        if course_id and self.b.table("courses") is not None and course_id not in courses:
            if course_id not in self.b.removed["courses"]:
                self.b.error(cls.where, "unknown_reference", column="courseSourcedId", id=course_id)
        return cls.get("title")

    def _users(self) -> None:
        self.roles: dict[str, str] = {}
        for uid, user in self.r["users"].items():
            role = user.get("role")
            if not role and uid in self.r["roles"]:
                role = self.r["roles"][uid].get("role")
            self.roles[uid] = role
        self.staff: dict[str, StaffRow] = {}
        self.students: dict[str, _Student] = {}
        self.guardians: dict[str, _Rec] = {}
        school_id = self.school.id
        for uid, user in self.r["users"].items():
            orgs = set(split_list(user.get("orgSourcedIds"))) | {user.get("primaryOrgSourcedId")}
            if uid in self.r["roles"]:
                orgs.add(self.r["roles"][uid].get("orgSourcedId"))
            role = self.roles[uid]
            if role in GUARDIANS:
                self.guardians[uid] = user
                continue
            if school_id not in orgs:
                continue
            names = (user.get("familyName"), user.get("givenName"))
            if not all(names):
                self.b.error(user.where, "empty_value", column="givenName / familyName")
                continue
            if role == STUDENT:
                self.students[uid] = _Student(user)
            elif role in STAFF_ROLES:
                self.staff[uid] = StaffRow(
                    user.where,
                    uid,
                    user.get("familyName"),
                    user.get("givenName"),
                    user.get("middleName"),
                    frozenset({STAFF_ROLES[role]}),
                )
            elif not role:
                self.b.error(user.where, "empty_value", column="role")
            else:
                self.b.warn(user.where, "role_ignored", value=role)
        for sid, demo in self.r["demographics"].items():
            if sid in self.students and demo.get("birthDate"):
                birth = parse_date(demo.get("birthDate"))
                if birth is None:
                    self.b.error(
                        demo.where, "bad_date", column="birthDate", value=demo.get("birthDate")
                    )
                self.students[sid].birth = birth

    def _classes(self) -> None:
        self.homerooms: dict[str, ClassKey] = {}
        self.scheduled: dict[str, _Rec] = {}
        places: dict[ClassKey, Where] = {}
        for cid, cls in self.r["classes"].items():
            if cls.get("schoolSourcedId") != self.school.id:
                continue
            if cls.get("classType").lower() != "homeroom":
                self.scheduled[cid] = cls
                continue
            key = parse_class(cls.get("title"))
            grade = _grade(cls.get("grades"))
            if key is None and grade is not None:
                code = cls.get("classCode")
                letter = parse_class(f"{grade}{code}") if code else (grade, "")
                key = letter or (grade, "")
            if key is None:
                self.b.error(cls.where, "class_without_grade", id=cid)
                continue
            if key in places:
                self.b.error(
                    cls.where,
                    "duplicate_class",
                    value=f"{key[0]}{key[1]}",
                    first_line=places[key].line,
                )
                continue
            places[key] = cls.where
            self.homerooms[cid] = key

    def _enrollments(self) -> None:
        self.members: dict[str, list[str]] = defaultdict(list)  # scheduled class -> students
        self.teachers: dict[str, list[str]] = defaultdict(list)  # any class -> staff
        self.homeroom_of: dict[str, tuple[str, Where]] = {}
        self.departed: dict[str, set[str]] = defaultdict(set)
        leads: dict[str, ClassKey] = {}
        for enr in self.r["enrollments"].values():
            cid, uid, role = enr.get("classSourcedId"), enr.get("userSourcedId"), enr.get("role")
            if cid in self.b.removed["classes"] or uid in self.b.removed["users"]:
                self.b.warn(enr.where, "enrollment_skipped", id=enr.id)
                if uid in self.b.removed["users"] and role == STUDENT:
                    # Still counts when telling a whole class from a part of it.
                    self.departed[cid].add(uid)
                continue
            if cid not in self.r["classes"]:
                self.b.error(enr.where, "unknown_reference", column="classSourcedId", id=cid)
                continue
            if uid not in self.r["users"]:
                self.b.error(enr.where, "unknown_reference", column="userSourcedId", id=uid)
                continue
            if cid not in self.homerooms and cid not in self.scheduled:
                continue  # another school's class
            user_role = self.roles.get(uid, "")
            if role == STUDENT:
                if uid not in self.students:
                    self.b.error(enr.where, "role_mismatch", id=uid, value=user_role, role=role)
                elif cid in self.homerooms:
                    if uid in self.homeroom_of and self.homeroom_of[uid][0] != cid:
                        self.b.error(enr.where, "several_homerooms", id=uid)
                    self.homeroom_of[uid] = (cid, enr.where)
                else:
                    self.members[cid].append(uid)
            elif role in STAFF_ROLES:
                if uid not in self.staff:
                    self.b.error(enr.where, "role_mismatch", id=uid, value=user_role, role=role)
                    continue
                self.teachers[cid].append(uid)
                if cid in self.homerooms and (
                    uid not in leads or enr.get("primary").lower() == "true"
                ):
                    leads[uid] = self.homerooms[cid]
            else:
                self.b.warn(enr.where, "role_ignored", value=role)
        for uid, key in leads.items():
            row = self.staff[uid]
            self.staff[uid] = StaffRow(
                row.where,
                row.source_id,
                row.last_name,
                row.first_name,
                row.middle_name,
                row.roles,
                key,
            )
        self.data.staff = list(self.staff.values())

    def _place_students(self) -> None:
        for uid, st in self.students.items():
            if uid in self.homeroom_of:
                st.cls = self.homerooms[self.homeroom_of[uid][0]]
                continue
            grade = _grade(st.rec.get("grades"))
            if grade is None:
                grades = {
                    _grade(self.scheduled[c].get("grades"))
                    for c, ids in self.members.items()
                    if uid in ids
                }
                grade = grades.pop() if len(grades) == 1 else None
            if grade is None:
                self.b.error(st.rec.where, "student_without_class", id=uid)
                continue
            st.cls = (grade, "")
        by_class: dict[ClassKey, set[str]] = defaultdict(set)
        for uid, st in self.students.items():
            if st.cls is not None:
                by_class[st.cls].add(uid)
        self.subgroup_of: dict[tuple[str, ClassKey], str] = {}
        for cid, cls in self.scheduled.items():
            subject = self._subject_of(cls)
            groups: dict[ClassKey, set[str]] = defaultdict(set)
            for uid in self.members.get(cid, []):
                if self.students[uid].cls is not None:
                    groups[self.students[uid].cls].add(uid)  # type: ignore[index]
            if not groups:
                if self.teachers.get(cid):
                    self.b.warn(cls.where, "class_without_students", id=cid)
                continue
            for key, uids in groups.items():
                homerooms = [c for c, k in self.homerooms.items() if k == key]
                everyone = by_class[key].union(*(self.departed[c] for c in homerooms))
                subgroup = "" if uids | self.departed[cid] == everyone else cls.get("title")
                if subgroup:
                    self.data.subgroups.append(SubgroupRow(cls.where, key, subgroup, subject))
                    for uid in uids:
                        self.students[uid].subgroups.append(subgroup)
                self.subgroup_of[(cid, key)] = subgroup
                for tid in self.teachers.get(cid, []):
                    self.data.teachings.append(TeachingRow(cls.where, tid, subject, key, subgroup))
        self.data.students = [
            StudentRow(
                st.rec.where,
                uid,
                st.cls,
                st.rec.get("familyName"),
                st.rec.get("givenName"),
                st.rec.get("middleName"),
                st.birth,
                subgroups=tuple(dict.fromkeys(st.subgroups)),
            )
            for uid, st in self.students.items()
            if st.cls is not None
        ]
        self.data.removed_students = {
            uid: rec.where
            for uid, rec in self.b.removed["users"].items()
            if rec.get("role") in ("", STUDENT)
        }

    def _guardians(self) -> None:
        children: dict[str, dict[str, Where]] = defaultdict(dict)
        for uid, st in self.students.items():
            for agent in split_list(st.rec.get("agentSourcedIds")):
                if agent in self.guardians:
                    children[agent].setdefault(uid, st.rec.where)
                elif agent in self.r["users"]:
                    self.b.error(
                        st.rec.where, "agent_not_guardian", id=agent, value=self.roles[agent]
                    )
                elif agent not in self.b.removed["users"]:
                    self.b.error(
                        st.rec.where, "unknown_reference", column="agentSourcedIds", id=agent
                    )
        for gid, g in self.guardians.items():
            for agent in split_list(g.get("agentSourcedIds")):
                if agent in self.students:
                    children[gid].setdefault(agent, g.where)
                elif agent in self.r["users"] and self.roles.get(agent) != STUDENT:
                    self.b.error(g.where, "agent_not_student", id=agent, value=self.roles[agent])
                elif agent not in self.r["users"] and agent not in self.b.removed["users"]:
                    self.b.error(g.where, "unknown_reference", column="agentSourcedIds", id=agent)
        rows = []
        for gid, g in self.guardians.items():
            if not children.get(gid):
                self.b.warn(g.where, "guardian_without_students", id=gid)
                continue
            if not (g.get("familyName") and g.get("givenName")):
                self.b.error(g.where, "empty_value", column="givenName / familyName")
                continue
            rows.append(
                GuardianRow(
                    g.where,
                    gid,
                    g.get("familyName"),
                    g.get("givenName"),
                    g.get("middleName"),
                    g.get("phone") or g.get("sms"),
                    g.get("email"),
                    tuple(children[gid].items()),
                    self.roles[gid],
                )
            )
        self.data.guardians = rows

    # -- gradebook --------------------------------------------------------------------------

    def _work_day(self, item: _Rec, res: _Rec) -> date | None:
        """The day of the work: its line item's assign date, else its due date, else the
        score's date; every one of them that is present must be a date."""
        told = self._told_dates
        days = [
            _dated(self.b, item, "assignDate", told),
            _dated(self.b, item, "dueDate", told),
            _dated(self.b, res, "scoreDate", told),
        ]
        present = [
            rec.get(c) for rec, c in ((item, "assignDate"), (item, "dueDate"), (res, "scoreDate"))
        ]
        if any(text and day is None for text, day in zip(present, days, strict=True)):
            return None
        day = next((d for d in days if d is not None), None)
        if day is None:
            self.b.error(item.where, "empty_value", column="assignDate")
        return day

    def _gradebook(self) -> None:
        self._told_dates: set[tuple[str, int | None]] = set()
        items = self.r["lineItems"]
        categories = self.r["categories"]
        for res in self.r["results"].values():
            item = items.get(res.get("lineItemSourcedId"))
            if item is None:
                self.b.error(
                    res.where,
                    "unknown_reference",
                    column="lineItemSourcedId",
                    id=res.get("lineItemSourcedId"),
                )
                continue
            uid = res.get("studentSourcedId")
            if uid in self.b.removed["users"]:
                self.b.warn(res.where, "result_skipped", id=res.id)
                continue
            st = self.students.get(uid)
            if st is None or st.cls is None:
                self.b.error(res.where, "unknown_reference", column="studentSourcedId", id=uid)
                continue
            cid = item.get("classSourcedId")
            if cid not in self.scheduled and cid not in self.homerooms:
                self.b.error(item.where, "unknown_reference", column="classSourcedId", id=cid)
                continue
            teachers = self.teachers.get(cid) or []
            if not teachers:
                self.b.error(item.where, "class_without_teacher", id=cid)
                continue
            day = self._work_day(item, res)
            if day is None:
                continue
            value = _mark(res.get("score"), res.get("scoreStatus"), item.get("resultValueMax"))
            if value is None:
                self.b.error(res.where, "bad_score", value=res.get("score"))
                continue
            category = categories.get(item.get("categorySourcedId"))
            if cid in self.homerooms:
                subject, subgroup = item.get("title"), ""
            else:
                subject = self._subject_of(self.scheduled[cid])
                subgroup = self.subgroup_of.get((cid, st.cls), "")
            self.data.marks.append(
                MarkRow(
                    res.where,
                    uid,
                    teachers[0],
                    subject,
                    st.cls,
                    subgroup,
                    day,
                    value,
                    category.get("title") if category else "OneRoster",
                )
            )


def _dated(b: _Bundle, rec: _Rec, column: str, told: set[tuple[str, int | None]]) -> date | None:
    """A date the record gives; a value that is there but is no date is an error, told once."""
    text = rec.get(column)
    if not text:
        return None
    value = parse_date(text)
    if value is None and (rec.file, rec.row.line) not in told:
        told.add((rec.file, rec.row.line))
        b.error(rec.where, "bad_date", column=column, value=text)
    return value


def _grade(text: str) -> int | None:
    for code in split_list(text):
        if code in GRADE_CODES:
            return GRADE_CODES[code]
    return None


def _mark(score: str, status: str, top: str) -> MarkValue | None:
    """A score on a five-point scale as is; on another scale by its share of the maximum
    (85 % and more is 5, 65 % is 4, 45 % is 3, less is 2)."""
    if status.lower() == "exempt":
        return MarkValue.EXEMPT
    try:
        points = float(score)
        high = float(top) if top else 5.0
    except ValueError:
        return None
    if high <= 0 or not 0 <= points <= high:
        return None
    if high == 5:
        return MarkValue(str(max(1, round(points)))) if points >= 1 else None
    share = points / high
    grade = 5 if share >= 0.85 else 4 if share >= 0.65 else 3 if share >= 0.45 else 2
    return MarkValue(str(grade))
