"""Extract messages and update the catalogues: ``python -m locales.update``.

Keywords: ``_`` and ``__`` (lazy, aiogram), ``N_`` (marked, translated where shown), and
``ngettext`` / ``_(singular, plural, n)`` for plural forms.
"""

from __future__ import annotations

import sys

from babel.messages.frontend import CommandLineInterface

from locales import DOMAIN, LANGUAGES, LOCALES_DIR, po_path

ROOT = LOCALES_DIR.parent
SOURCES = ["bot", "app", "handlers", "notifications", "core", "storage", "locales"]
KEYWORDS = ["_", "__", "N_", "ngettext:1,2", "lazy_ngettext:1,2"]


def main() -> int:
    pot = LOCALES_DIR / f"{DOMAIN}.pot"
    cli = CommandLineInterface()
    argv = [
        "pybabel",
        "-q",
        "extract",
        "--no-location",
        "--sort-output",
        "--width",
        "100",
        "-F",
        str(ROOT / "babel.cfg"),
        "-o",
        str(pot),
        "--no-default-keywords",
    ]
    for k in KEYWORDS:
        argv += ["-k", k]
    cli.run(argv + [str(ROOT / s) for s in SOURCES if (ROOT / s).is_dir()])
    for lang in LANGUAGES:
        action = "update" if po_path(lang).exists() else "init"
        args = [
            "pybabel",
            "-q",
            action,
            "-D",
            DOMAIN,
            "-i",
            str(pot),
            "-d",
            str(LOCALES_DIR),
            "-l",
            lang,
            "--width",
            "100",
        ]
        if action == "update":
            args.append("--no-fuzzy-matching")
        cli.run(args)
    pot.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
