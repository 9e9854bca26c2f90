"""Support for the web widget's browser tests: the real servers plus the widget's web server.

`WebServers` extends e2e_support's `Servers` (same action server, same knowledge loading, same
free ports and process groups) with what a browser needs: Rasa started with `--cors` for the
widget's page, and bot/web/server.py serving the demo page and the built widget. `Browser`
starts Debian's chromium through Playwright (never a downloaded browser).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from e2e_support import (
    MODEL,
    ROOT,
    STARTUP_TIMEOUT,
    VENV_BIN,
    Process,
    Servers,
    free_ports,
    server_env,
)

CHROMIUM = Path("/usr/bin/chromium")
# Debian's chromium on a machine with no internet: no background, sync or update traffic.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WIDGET_JS = ROOT / "web" / "dist" / "widget.js"
AXE_JS = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"


def build_widget() -> None:
    """Runs scripts/env.sh's ensure_web (npm ci + build only when something changed)."""
    if shutil.which("npm") is None:
        raise RuntimeError("npm is not installed: the web widget cannot be built")
    result = subprocess.run(["bash", "-c", 'source scripts/env.sh && ensure_web'], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0 or not WIDGET_JS.is_file():
        raise RuntimeError(f"Building the web widget failed (exit {result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")


@dataclass
class WebServers(Servers):
    """Action server + Rasa (CORS for the widget) + the widget's web server, on free ports."""

    web_port: int = 0
    web: Process | None = None

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def processes(self) -> list[Process]:
        return [p for p in (self.actions, self.rasa, self.web) if p is not None]

    def start(self) -> None:
        started = time.monotonic()
        if not MODEL.is_file():
            raise RuntimeError(f"No trained model at {MODEL}. scripts/test.sh trains one before "
                               "pytest; to train by hand: .venv/bin/rasa train "
                               "--fixed-model-name helpline --out models")
        self.env = server_env(f"sqlite:///{self.workdir / 'knowledge.db'}")
        self.load_knowledge()
        self.action_port, self.rasa_port, self.web_port = free_ports(3)
        endpoints = self.workdir / "endpoints.yml"
        endpoints.write_text("action_endpoint:\n"
                             f"  url: http://127.0.0.1:{self.action_port}/webhook\n"
                             + getattr(self, "extra_endpoints", ""), encoding="utf-8")
        rasa = str(VENV_BIN / "rasa")
        self.actions = Process("action server", [
            rasa, "run", "actions", "--actions", "actions", "--port", str(self.action_port),
        ], self.workdir / "actions.log")
        self.rasa = Process("rasa server", [
            rasa, "run", "--model", str(MODEL), "--interface", "127.0.0.1",
            "--port", str(self.rasa_port), "--endpoints", str(endpoints),
            "--cors", self.web_url,
        ], self.workdir / "rasa.log")
        self.web = Process("web server", [
            str(VENV_BIN / "python"), "-m", "bot.web.server",
        ], self.workdir / "web.log")
        web_env = {**self.env, "WEB_HOST": "127.0.0.1", "WEB_PORT": str(self.web_port),
                   "RASA_PUBLIC_URL": self.url}
        self.actions.start(self.env)
        self.rasa.start(self.env)
        self.web.start(web_env)
        deadline = started + STARTUP_TIMEOUT
        self._wait_for(f"{self.web_url}/healthz", self.web, deadline)
        self._wait_for(f"http://127.0.0.1:{self.action_port}/health", self.actions, deadline)
        self._wait_for(f"{self.url}/", self.rasa, deadline)
        self.startup_seconds = time.monotonic() - started

    def log_text(self) -> str:
        """Everything the three servers have logged so far."""
        return "\n".join(p.log_since(0) for p in self.processes)
