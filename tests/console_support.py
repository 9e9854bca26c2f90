"""Support for the operator console's tests: the real servers plus the console.

`ConsoleServers` extends web_support's `WebServers` (action server, Rasa with the widget's CORS,
the widget's web server; same free ports, process groups and logs) with what the console
needs: a token shared by Rasa's operator routes and the console, operator hours that are always
open (the tests run at any hour), the tracker store of endpoints.yml (the statistics read it),
and the console itself, started as scripts/run.sh starts it. Accounts are made with the real
CLI (`helpline operators add`), the password on standard input.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass

from e2e_support import ROOT, VENV_BIN, Process, free_ports
from web_support import WebServers

ALWAYS_OPEN = "Mon-Sun 00:00-24:00 UTC"


@dataclass
class ConsoleServers(WebServers):
    """Action server + Rasa + widget server + operator console, on free ports."""

    console_port: int = 0
    console: Process | None = None
    token: str = ""

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.console_port}"

    @property
    def processes(self) -> list[Process]:
        return [p for p in (self.actions, self.rasa, self.web, self.console) if p is not None]

    def allocate_ports(self) -> None:
        """Four ports; and the settings Rasa and the console share, before either starts."""
        self.action_port, self.rasa_port, self.web_port, self.console_port = free_ports(4)
        self.token = secrets.token_urlsafe(32)
        self.env.update({"HELPLINE_CONSOLE_TOKEN": self.token, "HELPLINE_OPERATOR_HOURS": ALWAYS_OPEN,
                         "HELPLINE_ENDPOINTS": str(self.workdir / "endpoints.yml")})

    def start_more(self) -> None:
        super().start_more()
        self.console = Process("operator console", [str(VENV_BIN / "python"), "-m", "bot.console.app"],
                               self.workdir / "console.log")
        self.console.start({**self.env, "CONSOLE_HOST": "127.0.0.1", "CONSOLE_PORT": str(self.console_port),
                            "CONSOLE_RASA_URL": self.url})

    def health_checks(self) -> list[tuple[str, Process]]:
        assert self.console is not None
        # the console answers /healthz once the script aid has loaded the trained models
        return [*super().health_checks(), (f"{self.console_url}/healthz", self.console)]

    def add_operator(self, name: str, role: str, password: str) -> None:
        """`helpline operators add NAME --role ROLE`, the password on standard input."""
        result = subprocess.run([str(VENV_BIN / "helpline"), "operators", "add", name, "--role", role],
                                cwd=ROOT, env=self.env, input=f"{password}\n", capture_output=True, text=True,
                                timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"`helpline operators add {name}` failed: {result.stdout}{result.stderr}")
