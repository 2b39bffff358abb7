"""``schoolbot backup`` as the README reads: ``--out DIR`` then ``verify DIR``, ``restore DIR``
and ``drill`` take the newest backup and say which; no key, no backup; a key shown once."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from bot.cli import main
from tests.admin.conftest import EXAMPLES

SECRET = "Q" * 20 + "-school-key-" + "w" * 20


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'school.db'}")
    monkeypatch.setenv("SCHOOLBOT_NOW", "2026-11-18T10:00:00")
    monkeypatch.setenv("DEFAULT_LOCALE", "ru")
    monkeypatch.delenv("BACKUP_KEY", raising=False)
    monkeypatch.delenv("BACKUP_DIRS", raising=False)
    assert main(["db", "upgrade"]) == 0
    assert main(["import", "roster", str(EXAMPLES / "roster.xlsx")]) == 0
    return tmp_path


def test_backup_then_verify_restore_and_drill_the_out_folder(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    capsys.readouterr()
    assert main(["backup", "--out", str(env / "bk")]) == 1  # no key: nothing is written
    assert "BACKUP_KEY не задан" in capsys.readouterr().err
    assert not (env / "bk").exists()

    assert main(["backup", "key", "new"]) == 0
    shown = capsys.readouterr().out
    (key,) = re.findall(r"BACKUP_KEY=(\S+)", shown)
    assert len(key) >= 32 and "показан один раз" in shown
    assert key not in "".join(p.read_text(errors="ignore") for p in env.iterdir() if p.is_file())

    monkeypatch.setenv("BACKUP_KEY", SECRET)
    assert main(["backup", "--out", str(env / "bk")]) == 0
    monkeypatch.setenv("SCHOOLBOT_NOW", "2026-11-19T10:00:00")
    assert main(["backup", "--out", str(env / "bk")]) == 0
    assert "подписана и зашифрована" in capsys.readouterr().out
    assert stat.S_IMODE((env / "bk").stat().st_mode) == 0o700
    newest = sorted(p.name for p in (env / "bk").iterdir())[-1]
    assert newest == "schoolbot-20261119-070000"

    assert main(["backup", "verify", str(env / "bk")]) == 0
    out = capsys.readouterr().out
    assert f"Самая новая копия в {env / 'bk'}: {newest}" in out
    assert "Копия цела и подписана ключом BACKUP_KEY" in out

    assert main(["backup", "drill", str(env / "bk")]) == 0
    out = capsys.readouterr().out
    assert newest in out and "совпадает" in out

    monkeypatch.setenv("BACKUP_KEY", "x" * 40)  # another school's key
    assert main(["backup", "verify", str(env / "bk")]) == 1
    assert "подписана другим ключом" in capsys.readouterr().err
    monkeypatch.setenv("BACKUP_KEY", SECRET)

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{env / 'restored.db'}")
    assert main(["restore", str(env / "bk")]) == 0
    out = capsys.readouterr().out
    assert newest in out.splitlines()[0] and "Восстановлено" in out
    assert main(["restore", str(env / "bk")]) == 1  # not into a database that has data
    assert "не пуста" in capsys.readouterr().err
