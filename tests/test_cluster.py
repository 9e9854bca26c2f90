"""The cluster of `scripts/run.sh --cluster` against the real servers: PostgreSQL, Redis and
HAProxy from Debian's packages (installed by run.sh when missing), three Rasa replicas.

- two messages of one new sender at the same instant, one to each of two replicas, 500 times:
  every user message stored, no event doubled, one session start per sender;
- hostile input through the proxy gets no 5xx; a socket.io client's polling and websocket
  requests reach one replica;
- a soak through the proxy: no error, every message stored once;
- `kill -9` of a replica under a 50-user load through the proxy: each message answered, or the
  client told to send it again and the message stored once or not at all; every conversation
  goes on; the supervisor starts the replica again.
The figures of longer runs are bench/cluster.py's.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cluster_support import Cluster, load_with_kill, race, soak_through_proxy
from e2e_support import MODEL
from test_fuzz import HOSTILE_TEXTS, MALFORMED_BODIES, SEED, _mutations, fuzz_socketio

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not MODEL.is_file():
        pytest.skip("no trained model (scripts/test.sh trains one before pytest)")
    running = Cluster(tmp_path_factory.mktemp("cluster")).start()
    try:
        yield running
    finally:
        left = running.stop()
        assert not left, f"ports still listening after run.sh stopped: {left}"


def test_it_prints_where_everything_runs_and_answers_through_the_proxy(cluster: Cluster) -> None:
    printed = cluster.output
    for i, port in enumerate(cluster.replica_ports, start=1):
        assert f"replica {i}: http://127.0.0.1:{port}/" in printed
    assert f"HAProxy {cluster.proxy}/" in printed
    assert f"postgresql://helpline@127.0.0.1:{cluster.ports['TRACKER_DB_PORT']}/conversations" in printed
    for url in [cluster.proxy, *(cluster.replica(i) for i in range(3))]:
        response = requests.post(f"{url}/webhooks/rest/webhook", timeout=60,
                                 json={"sender": f"hello-{uuid.uuid4().hex}", "message": "Përshëndetje"})
        assert response.status_code == 200 and response.json(), (url, response.text[:300])


def test_two_messages_of_a_new_sender_at_once_on_two_replicas_lose_and_double_nothing(cluster: Cluster) -> None:
    result = asyncio.run(race(cluster, pairs=500))
    assert result.unanswered == 0, result
    assert (result.lost, result.doubled, result.session_starts_not_one) == (0, 0, 0), result.examples


def test_hostile_input_through_the_proxy_never_gets_a_5xx(cluster: Cluster) -> None:
    texts = HOSTILE_TEXTS + _mutations(random.Random(SEED), 200)
    failures = []
    with requests.Session() as session:
        for text in texts:
            response = session.post(f"{cluster.proxy}/webhooks/rest/webhook", timeout=60,
                                    json={"sender": f"fuzz-{uuid.uuid4().hex[:12]}", "message": text})
            if response.status_code >= 500:
                failures.append(f"{response.status_code} for {text[:60]!r}")
        for body in MALFORMED_BODIES:
            response = session.post(f"{cluster.proxy}/webhooks/rest/webhook", data=body, timeout=30,
                                    headers={"Content-Type": "application/json"})
            if response.status_code != 400:
                failures.append(f"{response.status_code} for body {body[:40]!r}")
        response = session.post(f"{cluster.proxy}/webhooks/rest/webhook", timeout=30,
                                data=json.dumps({"sender": "big", "message": "x" * 200_000}),
                                headers={"Content-Type": "application/json"})
        if response.status_code != 413:
            failures.append(f"{response.status_code} for a 200 kB body")
    assert not failures, "\n".join(failures[:30])


def test_hostile_socketio_input_through_the_proxy_keeps_to_one_replica_and_gets_answered(
        cluster: Cluster) -> None:
    # polling first, then the upgrade: both must reach the replica holding the engine.io session
    answers, transport = asyncio.run(fuzz_socketio(cluster.proxy, ("polling", "websocket")))
    assert transport == "websocket"
    assert any("90" in a for a in answers), answers[-3:]


def test_a_soak_through_the_proxy_stores_every_message_once(cluster: Cluster) -> None:
    result = asyncio.run(soak_through_proxy(cluster, conversations=50, seconds=30))
    assert result.messages >= 300, result
    assert (result.errors, result.missing, result.doubled) == (0, 0, 0), result
    assert result.stored == result.messages, result


def test_a_replica_killed_under_load_loses_no_message_and_is_started_again(cluster: Cluster) -> None:
    result = asyncio.run(load_with_kill(cluster, users=50, seconds=50, kill_after=15))
    assert result.sent >= 500, result
    assert (result.lost, result.doubled, result.unclear_errors) == (0, 0, 0), result
    assert result.users_answered_after_kill == result.users, result  # every conversation goes on
    assert result.restarted_seconds is not None, "the killed replica was not started again"
    assert "Rasa replica 2 stopped" in cluster.output
    assert requests.get(f"{cluster.replica(1)}/", timeout=10).status_code == 200


def test_logs_are_in_the_callers_directory(cluster: Cluster) -> None:
    names = {p.name for p in Path(cluster.logs).iterdir()}
    assert {"rasa-1.log", "rasa-2.log", "rasa-3.log", "haproxy.log", "postgresql.log", "redis.log",
            "actions.log"} <= names, names
