"""Writes the example import files in this folder: ``python examples/build.py``.

A small school for 2026/2027: the calendar with its holidays, subjects, staff, two classes with
subgroups, students and guardians (as one XLSX workbook and as CSV files, one of them in
Windows-1251 with semicolons and Russian headers), the timetable with bells, a table of the
school's own work types, and a OneRoster 1.1 bundle.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

CALENDAR = [
    ["year", "period", "kind", "starts_on", "ends_on"],
    ["2026/2027", 1, "quarter", "2026-09-01", "2026-10-24"],
    ["2026/2027", 2, "quarter", "2026-11-05", "2026-12-28"],
    ["2026/2027", 3, "quarter", "2027-01-12", "2027-03-21"],
    ["2026/2027", 4, "quarter", "2027-03-30", "2027-05-26"],
]
# Holidays and days off (Russian headers, as a school's own program saves them).
HOLIDAYS = [
    ["Название", "Дата начала", "Дата окончания"],
    ["Осенние каникулы", "25.10.2026", "04.11.2026"],
    ["Зимние каникулы", "29.12.2026", "11.01.2027"],
    ["День защитника Отечества", "23.02.2027", "23.02.2027"],
    ["Международный женский день", "08.03.2027", "08.03.2027"],
    ["Весенние каникулы", "22.03.2027", "29.03.2027"],
]
# A school's own work types and weights (a school that imports none gets the standard set).
WORK_TYPES = [
    ["Название", "Сокращение", "Вес", "Письменная"],
    ["Устный ответ", "У", "1", "нет"],
    ["Контрольная работа", "КР", "2", "да"],
    ["Самостоятельная работа", "СР", "1,5", "да"],
    ["Проверочная работа", "ПрР", "1,5", "да"],
    ["Домашняя работа", "Д", "1", "да"],
    ["Диктант", "Дикт", "2", "да"],
    ["Сочинение", "Соч", "2", "да"],
    ["Проект", "Проект", "1,5", "нет"],
]
SUBJECTS = [
    ["subject", "short"],
    ["Русский язык", "Рус"],
    ["Математика", "Мат"],
    ["Английский язык", "Англ"],
    ["История", "Ист"],
]
STAFF = [
    ["staff_id", "last_name", "first_name", "middle_name", "roles", "class"],
    ["T-001", "Павлова", "Ирина", "Сергеевна", "admin", ""],
    ["T-002", "Громов", "Виктор", "Павлович", "director", ""],
    ["T-003", "Орлова", "Наталья", "Игоревна", "deputy, teacher", ""],
    ["T-004", "Смирнова", "Анна", "Петровна", "teacher", "7А"],
    ["T-005", "Кузнецов", "Олег", "Андреевич", "teacher", "5А"],
    ["T-006", "Белова", "Мария", "Ивановна", "teacher", ""],
]
SUBGROUPS = [
    ["class", "subgroup", "subject"],
    ["7А", "Англ. гр. 1", "Английский язык"],
    ["7А", "Англ. гр. 2", "Английский язык"],
]
STUDENTS = [
    ["student_id", "class", "last_name", "first_name", "middle_name", "birth_date", "subgroups"],
    ["S-101", "7А", "Иванов", "Пётр", "Алексеевич", "2013-03-14", "Англ. гр. 1"],
    ["S-102", "7А", "Петрова", "Алёна", "Сергеевна", "2013-07-02", "Англ. гр. 1"],
    ["S-103", "7А", "Сидоров", "Максим", "Олегович", "2013-01-25", "Англ. гр. 2"],
    ["S-104", "7А", "Ёлкина", "Дарья", "Павловна", "2013-11-30", "Англ. гр. 2"],
    ["S-201", "5А", "Морозов", "Артём", "Ильич", "2015-05-09", ""],
    ["S-202", "5А", "Волкова", "София", "Денисовна", "2015-08-21", ""],
    ["S-203", "5А", "Иванова", "Мария", "Алексеевна", "2015-02-11", ""],
]
GUARDIANS = [
    [
        "guardian_id",
        "last_name",
        "first_name",
        "middle_name",
        "phone",
        "email",
        "students",
        "relation",
    ],
    [
        "P-501",
        "Иванова",
        "Ольга",
        "Викторовна",
        "+7 900 111-22-33",
        "olga@example.ru",
        "S-101, S-203",
        "mother",
    ],
    ["P-502", "Иванов", "Алексей", "Петрович", "+7 900 111-22-34", "", "S-101; S-203", "father"],
    ["P-503", "Петров", "Сергей", "Николаевич", "+7 900 222-33-44", "", "S-102", "father"],
    ["P-504", "Сидорова", "Елена", "Олеговна", "", "", "S-103", "mother"],
    ["P-505", "Ёлкин", "Павел", "Андреевич", "", "", "S-104", "father"],
    ["P-506", "Морозова", "Татьяна", "Ильинична", "", "", "S-201", "mother"],
    ["P-507", "Волков", "Денис", "Игоревич", "", "", "S-202", "father"],
]
BELLS = [
    ["slot", "starts_at", "ends_at"],
    [1, "08:30", "09:15"],
    [2, "09:25", "10:10"],
    [3, "10:30", "11:15"],
    [4, "11:35", "12:20"],
]
TIMETABLE = [["class", "weekday", "slot", "subject", "teacher", "subgroup", "room"]]
for day in ("Пн", "Вт", "Ср", "Чт", "Пт"):
    TIMETABLE += [
        ["7А", day, 1, "Математика", "T-004", "", "201"],
        ["7А", day, 2, "Английский язык", "T-006", "Англ. гр. 1", "305"],
        ["7А", day, 2, "Английский язык", "T-003", "Англ. гр. 2", "306"],
        ["5А", day, 1, "Русский язык", "T-005", "", "105"],
        ["5А", day, 2, "История", "Кузнецов Олег Андреевич", "", "105"],
    ]
TIMETABLE += [["7А", "Ср", 3, "История", "T-005", "", "105"]]

# The same students with Russian headers, as a school's own program would save them.
RU_STUDENTS = [
    ["Код ученика", "Класс", "Фамилия", "Имя", "Отчество", "Дата рождения", "Подгруппы"]
] + [[*row[:5], ".".join(reversed(row[5].split("-"))), row[6]] for row in STUDENTS[1:]]


def write_csv(path: Path, rows: list[list], delimiter: str = ",", encoding: str = "utf-8") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def workbook(path: Path, sheets: dict[str, list[list]]) -> None:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


def oneroster(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    files = {
        "manifest": [
            ["propertyName", "value"],
            ["manifest.version", "1.0"],
            ["oneroster.version", "1.1"],
        ]
        + [
            [f"file.{n}", "bulk"]
            for n in (
                "academicSessions",
                "categories",
                "classes",
                "courses",
                "demographics",
                "enrollments",
                "lineItems",
                "orgs",
                "results",
                "users",
            )
        ]
        + [
            ["file.resources", "absent"],
            ["file.classResources", "absent"],
            ["file.courseResources", "absent"],
        ],
        "orgs": [
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "name",
                "type",
                "identifier",
                "parentSourcedId",
            ],
            ["org-1", "active", "2026-08-20T10:00:00.000Z", "Лицей № 2", "school", "", ""],
        ],
        "academicSessions": [
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "title",
                "type",
                "startDate",
                "endDate",
                "parentSourcedId",
                "schoolYear",
            ],
            ["y-2027", "", "", "2026/2027", "schoolYear", "2026-09-01", "2027-05-31", "", "2027"],
            ["h-1", "", "", "1 полугодие", "term", "2026-09-01", "2026-12-28", "y-2027", "2027"],
            ["h-2", "", "", "2 полугодие", "term", "2027-01-12", "2027-05-31", "y-2027", "2027"],
        ],
        "courses": [
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "schoolYearSourcedId",
                "title",
                "courseCode",
                "grades",
                "orgSourcedId",
                "subjects",
                "subjectCodes",
            ],
            ["c-math", "", "", "y-2027", "Алгебра", "ALG8", "08", "org-1", "", ""],
            ["c-home", "", "", "y-2027", "Классный час", "HR", "08", "org-1", "", ""],
            ["c-eng", "", "", "y-2027", "Английский язык", "ENG8", "08", "org-1", "", ""],
        ],
        "classes": [
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "title",
                "grades",
                "courseSourcedId",
                "classCode",
                "classType",
                "location",
                "schoolSourcedId",
                "termSourcedIds",
                "subjects",
                "subjectCodes",
                "periods",
            ],
            [
                "k-8b",
                "",
                "",
                "8Б",
                "08",
                "c-home",
                "8Б",
                "homeroom",
                "",
                "org-1",
                "h-1,h-2",
                "",
                "",
                "",
            ],
            [
                "k-alg",
                "",
                "",
                "Алгебра 8Б",
                "08",
                "c-math",
                "",
                "scheduled",
                "",
                "org-1",
                "h-1",
                "",
                "",
                "",
            ],
            [
                "k-eng1",
                "",
                "",
                "Англ. 8Б гр. 1",
                "08",
                "c-eng",
                "",
                "scheduled",
                "",
                "org-1",
                "h-1",
                "",
                "",
                "",
            ],
        ],
        "users": [
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "enabledUser",
                "orgSourcedIds",
                "role",
                "username",
                "userIds",
                "givenName",
                "familyName",
                "middleName",
                "identifier",
                "email",
                "sms",
                "phone",
                "agentSourcedIds",
                "grades",
                "password",
            ],
            [
                "u-t1",
                "",
                "",
                "TRUE",
                "org-1",
                "teacher",
                "",
                "",
                "Анна",
                "Смирнова",
                "Петровна",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                "u-t2",
                "",
                "",
                "TRUE",
                "org-1",
                "teacher",
                "",
                "",
                "Мария",
                "Белова",
                "Ивановна",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                "u-a1",
                "",
                "",
                "TRUE",
                "org-1",
                "administrator",
                "",
                "",
                "Ирина",
                "Павлова",
                "Сергеевна",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            [
                "u-s1",
                "",
                "",
                "TRUE",
                "org-1",
                "student",
                "",
                "",
                "Глеб",
                "Орлов",
                "Антонович",
                "",
                "",
                "",
                "",
                "u-p1",
                "08",
                "",
            ],
            [
                "u-s2",
                "",
                "",
                "TRUE",
                "org-1",
                "student",
                "",
                "",
                "Вера",
                "Лосева",
                "Игоревна",
                "",
                "",
                "",
                "",
                "u-p2",
                "08",
                "",
            ],
            [
                "u-s3",
                "",
                "",
                "TRUE",
                "org-1",
                "student",
                "",
                "",
                "Илья",
                "Зайцев",
                "Романович",
                "",
                "",
                "",
                "",
                "",
                "08",
                "",
            ],
            [
                "u-p1",
                "",
                "",
                "TRUE",
                "org-1",
                "parent",
                "",
                "",
                "Антон",
                "Орлов",
                "Юрьевич",
                "",
                "orlov@example.ru",
                "",
                "+7 900 555-00-01",
                "u-s1",
                "",
                "",
            ],
            [
                "u-p2",
                "",
                "",
                "TRUE",
                "org-1",
                "guardian",
                "",
                "",
                "Ирина",
                "Лосева",
                "Петровна",
                "",
                "",
                "",
                "",
                "u-s2",
                "",
                "",
            ],
        ],
        "enrollments": [
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "classSourcedId",
                "schoolSourcedId",
                "userSourcedId",
                "role",
                "primary",
                "beginDate",
                "endDate",
            ],
            ["e1", "", "", "k-8b", "org-1", "u-t1", "teacher", "true", "", ""],
            ["e2", "", "", "k-8b", "org-1", "u-s1", "student", "", "", ""],
            ["e3", "", "", "k-8b", "org-1", "u-s2", "student", "", "", ""],
            ["e4", "", "", "k-8b", "org-1", "u-s3", "student", "", "", ""],
            ["e5", "", "", "k-alg", "org-1", "u-t1", "teacher", "", "", ""],
            ["e6", "", "", "k-alg", "org-1", "u-s1", "student", "", "", ""],
            ["e7", "", "", "k-alg", "org-1", "u-s2", "student", "", "", ""],
            ["e8", "", "", "k-alg", "org-1", "u-s3", "student", "", "", ""],
            ["e9", "", "", "k-eng1", "org-1", "u-t2", "teacher", "", "", ""],
            ["e10", "", "", "k-eng1", "org-1", "u-s1", "student", "", "", ""],
            ["e11", "", "", "k-eng1", "org-1", "u-s2", "student", "", "", ""],
        ],
        "demographics": [
            ["sourcedId", "status", "dateLastModified", "birthDate", "sex"],
            ["u-s1", "", "", "2012-04-02", "male"],
            ["u-s2", "", "", "2012-10-19", "female"],
        ],
        "categories": [
            ["sourcedId", "status", "dateLastModified", "title"],
            ["cat-test", "", "", "Контрольная работа"],
        ],
        "lineItems": [
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "title",
                "description",
                "assignDate",
                "dueDate",
                "classSourcedId",
                "categorySourcedId",
                "gradingPeriodSourcedId",
                "resultValueMin",
                "resultValueMax",
            ],
            [
                "li-1",
                "",
                "",
                "Контрольная № 1",
                "",
                "2026-10-01",
                "2026-10-01",
                "k-alg",
                "cat-test",
                "h-1",
                "0",
                "100",
            ],
            [
                "li-2",
                "",
                "",
                "Словарный диктант",
                "",
                "2026-11-16",
                "2026-11-16",
                "k-eng1",
                "cat-test",
                "h-1",
                "1",
                "5",
            ],
        ],
        "results": [
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "lineItemSourcedId",
                "studentSourcedId",
                "scoreStatus",
                "score",
                "scoreDate",
                "comment",
            ],
            ["r1", "", "", "li-1", "u-s1", "fully graded", "92", "2026-10-02", ""],
            ["r2", "", "", "li-1", "u-s2", "fully graded", "70", "2026-10-02", ""],
            ["r3", "", "", "li-1", "u-s3", "fully graded", "40", "2026-10-02", ""],
            ["r4", "", "", "li-2", "u-s1", "fully graded", "4", "2026-11-16", ""],
        ],
    }
    for name, rows in files.items():
        write_csv(folder / f"{name}.csv", rows)


def main() -> None:
    workbook(
        HERE / "roster.xlsx",
        {
            "calendar": CALENDAR,
            "holidays": HOLIDAYS,
            "subjects": SUBJECTS,
            "staff": STAFF,
            "subgroups": SUBGROUPS,
            "students": STUDENTS,
            "guardians": GUARDIANS,
        },
    )
    folder = HERE / "roster-csv"
    folder.mkdir(exist_ok=True)
    for name, rows in (
        ("calendar", CALENDAR),
        ("holidays", HOLIDAYS),
        ("subjects", SUBJECTS),
        ("staff", STAFF),
        ("subgroups", SUBGROUPS),
        ("guardians", GUARDIANS),
    ):
        write_csv(folder / f"{name}.csv", rows)
    write_csv(folder / "students.csv", RU_STUDENTS, delimiter=";", encoding="cp1251")
    workbook(HERE / "timetable.xlsx", {"timetable": TIMETABLE, "bells": BELLS})
    write_csv(HERE / "timetable.csv", TIMETABLE, delimiter=";")
    write_csv(HERE / "bells.csv", BELLS)
    write_csv(HERE / "work_types.csv", WORK_TYPES)
    oneroster(HERE / "oneroster")


if __name__ == "__main__":
    main()
