"""scripts/run.sh as a person runs it: everything starts, a crashed process is started again
without stopping the others, logs are appended, and stopping it stops everything; in cluster
mode PostgreSQL, Redis and HAProxy too.

On free ports, with the logs in a directory of the test's own (HELPLINE_LOG_DIR) and the
knowledge store a SQLite file of its own. The trained model must exist (scripts/test.sh trains
it before pytest), so run.sh starts without training.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from cluster_support import Cluster
from e2e_support import MODEL, ROOT, free_ports

pytestmark = pytest.mark.e2e
STARTUP_SECONDS = 300


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _answers(port: int) -> bool:
    try:
        response = requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", timeout=30,
                                 json={"sender": f"run-sh-{time.monotonic_ns()}", "message": "Përshëndetje"})
    except requests.RequestException:
        return False
    return response.status_code == 200 and bool(response.json())


def _pid_listening(port: int) -> int:
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


def test_run_sh_restarts_a_crashed_process_and_stops_everything_on_exit(tmp_path: Path) -> None:
    if not MODEL.is_file():
        pytest.skip("no trained model (scripts/test.sh trains one before pytest)")
    rasa_port, action_port, web_port, console_port = free_ports(4)
    env = {**os.environ, "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port), "WEB_PORT": str(web_port),
           "CONSOLE_PORT": str(console_port),
           "HELPLINE_LOG_DIR": str(tmp_path), "HELPLINE_DB_URL": f"sqlite:///{tmp_path / 'knowledge.db'}"}
    output = (tmp_path / "run.out").open("w")
    run = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, stdout=output,
                           stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while "The assistant is running" not in (tmp_path / "run.out").read_text():
            assert run.poll() is None, (tmp_path / "run.out").read_text()[-2000:]
            assert time.monotonic() < deadline, "run.sh did not start in time"
            time.sleep(1)
        assert _answers(rasa_port)
        printed = (tmp_path / "run.out").read_text()
        assert f"http://127.0.0.1:{console_port}/" in printed and "helpline operators add" in printed
        assert requests.get(f"http://127.0.0.1:{console_port}/aid", allow_redirects=False,
                            timeout=30).headers["Location"] == "/signin"  # the console, closed without a session
        first_log = (tmp_path / "rasa.log").stat().st_size

        os.kill(_pid_listening(rasa_port), signal.SIGKILL)  # Rasa crashes
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(rasa_port):
            assert time.monotonic() < deadline, "Rasa was not started again"
            time.sleep(1)
        assert _listening(action_port) and _listening(web_port) and _listening(console_port)  # the others never stopped
        assert "Rasa stopped" in (tmp_path / "run.out").read_text()
        assert (tmp_path / "rasa.log").stat().st_size > first_log  # appended, not truncated
    finally:
        # as `pkill -f run.sh` would: run.sh and its supervisors at once (each stops its process)
        supervisors = subprocess.run(["pgrep", "-P", str(run.pid)], capture_output=True, text=True).stdout.split()
        for pid in [run.pid, *map(int, supervisors)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        run.wait(timeout=60)
        output.close()
    deadline = time.monotonic() + 30
    while any(_listening(p) for p in (rasa_port, action_port, web_port, console_port)):
        assert time.monotonic() < deadline, "a process outlived run.sh"
        time.sleep(0.5)


def test_run_sh_cluster_stops_postgresql_redis_and_haproxy_when_it_is_stopped(tmp_path: Path) -> None:
    if not MODEL.is_file():
        pytest.skip("no trained model (scripts/test.sh trains one before pytest)")
    cluster = Cluster(tmp_path, replicas=1).start()
    try:
        servers = {name: cluster.ports[name] for name in ("TRACKER_DB_PORT", "REDIS_PORT", "RASA_PORT")}
        assert all(_listening(port) for port in servers.values()), servers
        postgres = _pid_listening(servers["TRACKER_DB_PORT"])
        assert _answers(servers["RASA_PORT"])  # through HAProxy
    finally:
        left = cluster.stop()  # TERM to run.sh, as Ctrl+C or a service manager stops it
    assert not left, f"still listening after run.sh stopped: {left}"
    assert not Path(f"/proc/{postgres}").exists(), "PostgreSQL outlived run.sh"


def test_run_sh_stopped_while_its_servers_start_ends_at_once(tmp_path: Path) -> None:
    # Ctrl+C while run.sh still waits for Rasa to load: everything stops and run.sh ends, it does
    # not go on waiting for a server that is gone
    if not MODEL.is_file():
        pytest.skip("no trained model (scripts/test.sh trains one before pytest)")
    ports = free_ports(4)
    env = {**os.environ, **dict(zip(("RASA_PORT", "ACTION_PORT", "WEB_PORT", "CONSOLE_PORT"), map(str, ports),
                                    strict=True)),
           "HELPLINE_LOG_DIR": str(tmp_path), "HELPLINE_DB_URL": f"sqlite:///{tmp_path / 'knowledge.db'}"}
    with (tmp_path / "run.out").open("w") as output:
        run = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, stdout=output,
                               stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while "Starting the operator console" not in (tmp_path / "run.out").read_text():
                assert run.poll() is None and time.monotonic() < deadline, (tmp_path / "run.out").read_text()
                time.sleep(0.2)
            assert "The assistant is running" not in (tmp_path / "run.out").read_text()
            os.kill(run.pid, signal.SIGTERM)
            run.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode != 0
    deadline = time.monotonic() + 30
    while any(_listening(p) for p in ports):
        assert time.monotonic() < deadline, "a process outlived run.sh"
        time.sleep(0.5)
