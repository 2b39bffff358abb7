"""Backups in the reader's language, for the console and the bot alike: why a backup was
refused, what a restore drill found."""

from __future__ import annotations

from collections.abc import Callable

from app.messages import N_
from core.status import Drill

Gettext = Callable[[str], str]

BACKUP_PROBLEMS = {
    "no_schema": N_("The database has no schema: run schoolbot db upgrade first."),
    "no_manifest": N_("{path} is not a backup: there is no SHA256SUMS or manifest.json."),
    "unsigned": N_(
        "The backup in {path} is not signed: anyone could have changed it. It is not used."
    ),
    "bad_signature": N_(
        "The backup's signature does not match BACKUP_KEY: it was changed after it was made, "
        "or signed without the school's key. It is not used."
    ),
    "other_key": N_(
        "The backup was signed with another key (key {found}; BACKUP_KEY here is key "
        "{expected}). Set the key it was made with; without it the backup is not used."
    ),
    "weak_key": N_(
        "BACKUP_KEY is too short: it needs at least {length} characters. "
        "Create one with schoolbot backup key new."
    ),
    "no_key": N_(
        "BACKUP_KEY is not set: backups are signed and encrypted with it. "
        "Create one with schoolbot backup key new."
    ),
    "cannot_decrypt": N_("{file} cannot be decrypted with BACKUP_KEY."),
    "missing_file": N_("The backup is incomplete: {file} is missing."),
    "missing_table": N_("The backup is incomplete: the table {table} is missing from it."),
    "checksum_mismatch": N_("The backup is damaged: {file} does not match its SHA-256."),
    "row_count_mismatch": N_("The backup is damaged: {file} has {found} rows, not {expected}."),
    "bad_format": N_("This backup format ({value}) is not known to this version."),
    "unknown_revision": N_("The backup's schema {revision} is newer than this program."),
    "unknown_table": N_("The backup has a table this program does not know: {table}."),
    "not_empty": N_("The database is not empty; restore only into an empty database."),
}


def backup_problem(code: str, facts: dict[str, object], _: Gettext) -> str:
    template = BACKUP_PROBLEMS.get(code, "{error}")
    return _(template).format(**{"error": code, **facts})


def drill_lines(drill: Drill, _: Gettext) -> list[str]:
    """What a drill found, beyond ok: why the backup was refused, or each table that differs."""
    if drill.ok:
        return []
    if not drill.differences:
        return [backup_problem(drill.problem, drill.facts, _)]
    return [
        _("{table}: {expected} rows in the manifest, {found} restored").format(
            table=table, expected=expected, found=found
        )
        for table, expected, found in drill.differences
    ]
