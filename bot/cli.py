"""`helpline` command line: maintain the knowledge store.

    helpline kb check                 validate data/knowledge/*.yml (no database needed)
    helpline kb import                load them into the store (idempotent, all or nothing)
    helpline kb export --out DIR      write the store back out as knowledge files
    helpline kb stale --older-than 1y entries whose last review is older than that
    helpline kb search "query"        ranked facts with their sources
    helpline kb upgrade               migrate the store's tables to the newest schema
    helpline conversations purge --older-than 30   delete conversations older than 30 days
    helpline conversations delete SENDER           delete one person's conversation

The store is HELPLINE_DB_URL (a SQLite file under var/ by default, or a postgresql:// URL).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot import conversations
from bot.knowledge.loader import KnowledgeError, audit, read_knowledge
from bot.knowledge.store import KNOWLEDGE_DIR, KnowledgeStore, Snapshot
from bot.language import LANGUAGES

app = typer.Typer(help="Migration helpline assistant tools.", no_args_is_help=True)
kb = typer.Typer(help="The knowledge store.", no_args_is_help=True)
app.add_typer(kb, name="kb")
app.add_typer(conversations.app, name="conversations")

_AGE = re.compile(r"^(\d+)\s*([dwy])$")
_DAYS = {"d": 1, "w": 7, "y": 365}


def parse_age(value: str) -> dt.timedelta:
    """'90d', '12w' or '1y' (a year counted as 365 days)."""
    match = _AGE.match(value.strip().lower())
    if not match:
        raise typer.BadParameter("use a number of days, weeks or years: 90d, 12w, 1y")
    return dt.timedelta(days=int(match[1]) * _DAYS[match[2]])


def _fail(problems: tuple[str, ...] | list[str], code: int = 1) -> typer.Exit:
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    return typer.Exit(code)


@contextmanager
def _store() -> Iterator[KnowledgeStore]:
    """The configured store, its connections closed when the command is done."""
    store = KnowledgeStore()
    try:
        yield store
    finally:
        store.close()


def _snapshot(store: KnowledgeStore) -> Snapshot:
    try:
        return store.snapshot()
    except SQLAlchemyError:
        raise _fail(["the knowledge store cannot be read; run `helpline kb import` first"]) from None


@kb.command()
def check(directory: Path = typer.Option(KNOWLEDGE_DIR, help="Folder of *.yml files.")) -> None:
    """Validate the knowledge files without touching the store; list every problem found."""
    try:
        content = read_knowledge(directory)
    except KnowledgeError as error:
        problems = list(error.problems)
    else:
        problems = audit(content)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {directory}:", err=True)
        raise _fail(problems)
    entries = sum(len(rows) for rows in content.rows.values())
    typer.echo(f"knowledge: {entries} entries in {len(list(directory.glob('*.yml')))} files are valid")


@kb.command("import")
def import_(directory: Path = typer.Option(KNOWLEDGE_DIR, help="Folder of *.yml files."),
            quiet: bool = typer.Option(False, help="Print only a one-line summary.")) -> None:
    """Load the knowledge files; a file with an error changes nothing."""
    try:
        with _store() as store:
            report = store.import_directory(directory)
    except KnowledgeError as error:
        raise _fail(error.problems) from None
    if not quiet:
        for label, keys in (("added", report.added), ("changed", report.changed),
                            ("removed", report.removed)):
            for key in keys:
                typer.echo(f"{label}: {key}")
    typer.echo(f"knowledge: {len(report.added)} added, {len(report.changed)} changed, "
               f"{len(report.removed)} removed")


@kb.command()
def export(out: Path = typer.Option(..., "--out", help="Folder to write the *.yml files to.")) -> None:
    """Write the store's content as knowledge files, laid out as data/knowledge."""
    with _store() as store:
        _snapshot(store)  # explains an empty store instead of writing empty files
        written = store.export_directory(out)
    for path in written:
        typer.echo(f"wrote {path}")
    for path in sorted(set(out.glob("*.yml")) - set(written)):
        typer.echo(f"warning: {path.name} is not from this export; remove it before importing "
                   f"{out}", err=True)


@kb.command()
def stale(older_than: str = typer.Option("365d", "--older-than",
                                         help="Age of the last review: 90d, 12w, 1y.")) -> None:
    """List the entries whose last review is older than the given age, oldest first."""
    cutoff = dt.date.today() - parse_age(older_than)
    with _store() as store:
        snapshot = _snapshot(store)
    overdue = sorted((d for d in snapshot.documents if d.reviewed < cutoff),
                     key=lambda d: (d.reviewed, d.key))
    for doc in overdue:
        typer.echo(f"{doc.reviewed}  {doc.key}  [{doc.kind}]  source: {doc.source.key}")
    typer.echo(f"knowledge: {len(overdue)} of {len(snapshot.documents)} entries were last "
               f"reviewed before {cutoff}")


@kb.command()
def search(query: str, lang: str = typer.Option("en", help="Language of the results: sq or en."),
           limit: int = typer.Option(5, min=1, max=50)) -> None:
    """Show the facts that best match a question, with scores and sources."""
    if lang not in LANGUAGES:
        raise _fail(["--lang must be sq or en"], code=2)
    with _store() as store:
        snapshot = _snapshot(store)
    for hit in snapshot.index.rank(query, limit=limit):
        doc = hit.document
        typer.echo(f"{hit.score:.3f}  {doc.key}  [{doc.topic}]\n       {doc.text.get(lang)}"
                   f"\n       — {doc.source.title.get(lang)} (reviewed {doc.reviewed})")


@kb.command()
def upgrade() -> None:
    """Create the store's tables, or migrate existing ones in place, to the newest schema."""
    with _store() as store:
        store.upgrade()
    typer.echo("knowledge store: schema is up to date")


if __name__ == "__main__":
    app()
