"""Knowledge stores on both backends for the tests, and a TCP proxy that can cut a database off.

A PostgreSQL test gets a schema of its own in the database HELPLINE_TEST_PG_URL names (the
connections' search_path points at it), dropped with all its tables when the test ends: tests
stay independent of each other and of anything else using that database.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine.url import make_url
from sqlalchemy.pool import NullPool

from bot.knowledge.store import KNOWLEDGE_DIR, KnowledgeStore

PG_URL_ENV = "HELPLINE_TEST_PG_URL"
BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str:
    """The test server's URL; skips the test when there is none (scripts/test.sh starts one)."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"{PG_URL_ENV} is not set, so there is no PostgreSQL server to test against "
                    "(scripts/test.sh starts one)")
    return url


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of an empty database of the test's own on `backend`, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory}/kb.db"
        return
    base = make_url(postgres_url())
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, future=True, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # application_name marks the test's connections, so that they can be closed at the end
        yield base.update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema,
                                      "connect_timeout": "5"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE application_name = :name AND pid <> pg_backend_pid()"),
                               {"name": schema})
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def loaded_store(backend: str, directory: Path, knowledge: Path = KNOWLEDGE_DIR) -> Iterator[KnowledgeStore]:
    """A store on `backend` loaded from `knowledge`, closed and removed afterwards."""
    with empty_database(backend, directory) as url:
        store = KnowledgeStore(url)
        try:
            store.import_directory(knowledge)
            yield store
        finally:
            store.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TcpProxy:
    """Forwards 127.0.0.1:port to a server; `stop()` refuses new connections and cuts the open
    ones, as a database that went away does; `start()` brings it back on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
