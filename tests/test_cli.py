"""`helpline kb import` and `helpline kb search` against a temporary SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.knowledge.store import KnowledgeStore


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(mix_stderr=False)


@pytest.fixture
def db_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("HELPLINE_DB_URL", url)
    return url


def test_import_loads_the_store_and_reports_what_changed(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["kb", "import"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "added: facts:rem_action_plan" in lines
    assert "added: organisations:helpline_116006" in lines
    added = sum(line.startswith("added: ") for line in lines)
    assert lines[-1] == f"knowledge: {added} added, 0 changed, 0 removed"
    assert "rem_action_plan" in KnowledgeStore(db_url).snapshot().by_key


def test_a_second_import_reports_no_change(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet"]).exit_code == 0
    result = runner.invoke(app, ["kb", "import"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "knowledge: 0 added, 0 changed, 0 removed"
    assert KnowledgeStore(db_url).revision() == 1


def test_quiet_import_prints_only_the_summary(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["kb", "import", "--quiet"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1
    assert result.stdout.startswith("knowledge: ")


def test_import_of_an_edited_directory_reports_the_change(
        runner: CliRunner, db_url: str, knowledge_copy: Path) -> None:
    assert runner.invoke(app, ["kb", "import", "--directory", str(knowledge_copy)]).exit_code == 0
    path = knowledge_copy / "voluntary_return.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["facts"] = [f for f in data["facts"] if f["key"] != "avr_package"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["kb", "import", "--directory", str(knowledge_copy)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["removed: facts:avr_package",
                                          "knowledge: 0 added, 0 changed, 1 removed"]


def test_a_broken_knowledge_directory_exits_1_naming_the_file(
        runner: CliRunner, db_url: str, knowledge_copy: Path) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet"]).exit_code == 0
    path = knowledge_copy / "contacts.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('phone: "112"', 'phone: "one"', 1),
                    encoding="utf-8")
    result = runner.invoke(app, ["kb", "import", "--directory", str(knowledge_copy)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: contacts.yml")
    assert "phone" in result.stderr
    assert result.stdout == ""
    assert KnowledgeStore(db_url).revision() == 1  # nothing changed


def test_an_empty_directory_exits_1(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    result = runner.invoke(app, ["kb", "import", "--directory", str(empty)])
    assert result.exit_code == 1
    assert "no *.yml" in result.stderr


@pytest.mark.parametrize(("query", "lang", "number", "label"), [
    ("how many measures in the remittances plan", "en", "8", "remittances"),
    ("sa dite pa vize ne shengen", "sq", "90", "safe_migration"),
])
def test_search_shows_ranked_facts_with_sources(
        runner: CliRunner, db_url: str, query: str, lang: str, number: str, label: str) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet"]).exit_code == 0
    result = runner.invoke(app, ["kb", "search", query, "--lang", lang, "--limit", "2"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len([line for line in lines if not line.startswith(" ")]) == 2  # two hits
    header, text, source = lines[:3]
    assert f"[{label}]" in header
    assert number in text
    assert "reviewed 20" in source


def test_search_results_are_in_the_requested_language(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet"]).exit_code == 0
    sq = runner.invoke(app, ["kb", "search", "remittances plan", "--lang", "sq", "--limit", "1"])
    en = runner.invoke(app, ["kb", "search", "remittances plan", "--lang", "en", "--limit", "1"])
    assert sq.exit_code == en.exit_code == 0
    sq_text, en_text = sq.stdout.splitlines()[1], en.stdout.splitlines()[1]
    assert "ë" in sq_text and "Planit" in sq_text
    assert "ë" not in en_text and "Plan" in en_text


def test_search_rejects_an_unknown_language(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["kb", "search", "visa", "--lang", "de"])
    assert result.exit_code == 2
    assert "sq or en" in result.stderr


def test_search_before_any_import_explains_what_to_do(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["kb", "search", "visa"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert "import" in result.stderr
