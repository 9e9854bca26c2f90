"""bot/settings.py is the one place settings are read from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import settings

ROOT = Path(__file__).resolve().parents[1]
# reading the environment; launcher.py *sets* Rasa's variables, which is not reading a setting
READS_ENVIRONMENT = re.compile(r"os\.getenv|os\.environ(\.get|\[|\s+if\b|\)|,)")


def test_no_module_but_settings_reads_the_environment() -> None:
    readers = [str(path.relative_to(ROOT)) for folder in ("bot", "actions") for path in (ROOT / folder).rglob("*.py")
               if path.name != "settings.py" and READS_ENVIRONMENT.search(path.read_text(encoding="utf-8"))]
    assert readers == []


def test_an_unset_or_empty_variable_gives_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELPLINE_DB_URL", raising=False)
    assert settings.database_url() == f"sqlite:///{ROOT / 'var' / 'knowledge.db'}"
    monkeypatch.setenv("HELPLINE_DB_URL", "")
    assert settings.database_url().startswith("sqlite:///")
    monkeypatch.setenv("HELPLINE_DB_URL", "postgresql://db/helpline")
    assert settings.database_url() == "postgresql://db/helpline"


def test_a_number_that_is_not_one_names_its_variable() -> None:
    assert settings.get_int("RASA_PORT", 5005, {"RASA_PORT": "6000"}) == 6000
    with pytest.raises(ValueError, match=r"RASA_PORT='50o5': expected a whole number"):
        settings.get_int("RASA_PORT", 5005, {"RASA_PORT": "50o5"})


def test_without_a_redis_url_the_processes_run_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELPLINE_REDIS_URL", raising=False)
    assert settings.redis_url() == ""  # socket.io keeps its rooms in the process
    monkeypatch.setenv("HELPLINE_REDIS_URL", "redis://127.0.0.1:6380/0")
    assert settings.redis_url() == "redis://127.0.0.1:6380/0"
