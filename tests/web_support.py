"""Support for the web widget's browser tests: the real servers plus the widget's web server.

`WebServers` extends e2e_support's `Servers` (same action server, same knowledge loading, same
free ports and process groups) with what a browser needs: Rasa started with `--cors` for the
widget's page, and bot/web/server.py serving the demo page and the built widget. `Browser`
starts Debian's chromium through Playwright (never a downloaded browser).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from e2e_support import (
    ROOT,
    VENV_BIN,
    Process,
    Servers,
    free_ports,
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

    def allocate_ports(self) -> None:
        self.action_port, self.rasa_port, self.web_port = free_ports(3)

    def rasa_options(self) -> list[str]:
        return ["--cors", self.web_url]

    def start_more(self) -> None:
        self.web = Process("web server", [
            str(VENV_BIN / "python"), "-m", "bot.web.server",
        ], self.workdir / "web.log")
        self.web.start({**self.env, "WEB_HOST": "127.0.0.1", "WEB_PORT": str(self.web_port),
                        "RASA_PUBLIC_URL": self.url,  # and Rasa's tracker store, which forget deletes from
                        "HELPLINE_ENDPOINTS": str(self.workdir / "endpoints.yml")})

    def health_checks(self) -> list[tuple[str, Process]]:
        assert self.web is not None
        return [(f"{self.web_url}/healthz", self.web), *super().health_checks()]

    def log_text(self) -> str:
        """Everything the three servers have logged so far."""
        return "\n".join(p.log_since(0) for p in self.processes)
