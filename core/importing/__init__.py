"""Applying an import's typed rows to the journal, one module per what it applies: the calendar
(year, periods, holidays, work types), people (staff, classes, subgroups, students, guardians,
teaching), the timetable (bells, lines, the teaching they imply) and marks from a gradebook.
``core.import_apply.ImportService`` runs them in one transaction."""
