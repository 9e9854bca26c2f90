"""The `helpline kb` commands against a store of the test's own, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from test_knowledge import edit_yaml, fact
from typer.testing import CliRunner

from bot.cli import app, parse_age
from bot.knowledge.migrations import current_revision, head_revision
from bot.knowledge.store import KNOWLEDGE_DIR, KnowledgeStore


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(mix_stderr=False)


@pytest.fixture
def db_url(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    """The store the commands use: an empty one of the test's own, on SQLite and PostgreSQL."""
    monkeypatch.setenv("HELPLINE_DB_URL", database_url)
    return database_url


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


# ------------------------------------------------------------------------------ check


def _break_three_files(directory: Path) -> None:
    """Three problems in three files: a phone, a missing language, a URL."""
    for name, old, new in (("contacts.yml", 'phone: "112"', 'phone: "one"'),
                           ("sources.yml", 'url: "https://www.iom.int"', 'url: "not a url"')):
        path = directory / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    edit_yaml(directory / "remittances.yml", lambda d: fact(d, "rem_studies")["text"].pop("en"))


def test_check_passes_on_the_shipped_files(runner: CliRunner) -> None:
    result = runner.invoke(app, ["kb", "check"])
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"knowledge: \d+ entries in \d+ files are valid\n", result.stdout)


def test_check_lists_every_problem_and_exits_1(
        runner: CliRunner, knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # it never opens the store: a database that cannot be opened changes nothing
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("HELPLINE_DB_URL", f"sqlite:///{tmp_path}/a-file/kb.db")
    _break_three_files(knowledge_copy)
    result = runner.invoke(app, ["kb", "check", "--directory", str(knowledge_copy)])
    assert result.exit_code == 1
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, result.stderr
    assert any(e.startswith("error: contacts.yml: organisations[0]: phone: ") for e in errors)
    assert any(e.startswith("error: sources.yml: sources[1]: url: ") for e in errors)
    assert any(e.startswith("error: remittances.yml: facts[1]: text: ") for e in errors)


def test_check_finds_what_an_import_would_let_through(runner: CliRunner, knowledge_copy: Path) -> None:
    def edit(data: dict) -> None:
        fact(data, "rem_studies").update(reviewed="2999-01-01")
        fact(data, "rem_web_page")["text"]["en"] = fact(data, "rem_web_page")["text"]["sq"]

    edit_yaml(knowledge_copy / "remittances.yml", edit)
    result = runner.invoke(app, ["kb", "check", "--directory", str(knowledge_copy)])
    assert result.exit_code == 1
    assert "rem_studies): reviewed: 2999-01-01 is in the future" in result.stderr
    assert "rem_web_page): text: the 'sq' and 'en' texts are the same" in result.stderr


def test_import_lists_every_problem_too(runner: CliRunner, db_url: str, knowledge_copy: Path) -> None:
    _break_three_files(knowledge_copy)
    result = runner.invoke(app, ["kb", "import", "--directory", str(knowledge_copy)])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 3


# ----------------------------------------------------------------------------- export


def test_export_writes_files_that_import_unchanged(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet"]).exit_code == 0
    out = tmp_path / "exported"
    result = runner.invoke(app, ["kb", "export", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert sorted(line.split("/")[-1] for line in result.stdout.splitlines()) == sorted(
        p.name for p in KNOWLEDGE_DIR.glob("*.yml"))
    for path in KNOWLEDGE_DIR.glob("*.yml"):
        assert yaml.safe_load((out / path.name).read_text(encoding="utf-8")) == yaml.safe_load(
            path.read_text(encoding="utf-8")), path.name
    again = runner.invoke(app, ["kb", "import", "--directory", str(out)])
    assert again.stdout.strip() == "knowledge: 0 added, 0 changed, 0 removed"


def test_export_warns_about_files_it_did_not_write(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet"]).exit_code == 0
    (tmp_path / "old_topic.yml").write_text("topic: {}\n", encoding="utf-8")
    result = runner.invoke(app, ["kb", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert "warning: old_topic.yml is not from this export" in result.stderr


def test_export_of_an_empty_store_explains_what_to_do(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["kb", "export", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "kb import" in result.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------ stale


def test_stale_lists_entries_reviewed_before_the_cutoff(
        runner: CliRunner, db_url: str, knowledge_copy: Path) -> None:
    edit_yaml(knowledge_copy / "remittances.yml", lambda d: fact(d, "rem_studies").update(reviewed="1990-03-04"))
    assert runner.invoke(app, ["kb", "import", "--quiet", "--directory", str(knowledge_copy)]).exit_code == 0
    snapshot = KnowledgeStore(db_url).snapshot()
    cutoff = dt.date.today() - dt.timedelta(days=365)
    expected = {d.key for d in snapshot.documents if d.reviewed < cutoff}
    assert "rem_studies" in expected

    result = runner.invoke(app, ["kb", "stale", "--older-than", "365d"])
    assert result.exit_code == 0, result.stderr
    *listed, summary = result.stdout.splitlines()
    assert {line.split()[1] for line in listed} == expected
    assert listed[0] == "1990-03-04  rem_studies  [fact]  source: iom_activity_sheet_2007"
    assert summary == (f"knowledge: {len(expected)} of {len(snapshot.documents)} entries were last "
                       f"reviewed before {cutoff}")


@pytest.mark.parametrize(("age", "days"), [("365d", 365), ("2w", 14), ("1y", 365), ("30Y", 10950)])
def test_ages_in_days_weeks_and_years(age: str, days: int) -> None:
    assert parse_age(age) == dt.timedelta(days=days)


@pytest.mark.parametrize("age", ["soon", "12", "3m", "-1d", ""])
def test_stale_rejects_an_unreadable_age(runner: CliRunner, db_url: str, age: str) -> None:
    result = runner.invoke(app, ["kb", "stale", "--older-than", age])
    assert result.exit_code == 2
    assert "90d, 12w, 1y" in result.stderr


def test_upgrade_creates_the_schema(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["kb", "upgrade"])
    assert result.exit_code == 0, result.stderr
    store = KnowledgeStore(db_url)
    assert current_revision(store.engine) == head_revision()
    assert store.revision() == 0
    store.close()
