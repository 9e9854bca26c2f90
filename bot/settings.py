"""Every setting the assistant's Python processes read, in one place.

Each setting is an environment variable with a default that works on one machine (SQLite files
under var/, servers on 127.0.0.1). ``scripts/env.sh`` exports the same defaults for the shell
scripts; ``endpoints.yml`` takes its values through ``${VAR}``. Values are read when asked for,
not at import, so a test or a command can set a variable before it calls a function.
Nothing else in ``bot/`` or ``actions/`` reads ``os.environ`` (tests/test_settings.py checks).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"


def get(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    """The variable's value, or ``default`` when it is unset or empty."""
    return (os.environ if environ is None else environ).get(name) or default


def get_int(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    """An integer setting; a value that is not one names the variable in its error."""
    value = get(name, "", environ)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a whole number") from None


# --- storage ------------------------------------------------------------------------------------


def database_url() -> str:
    """The knowledge store (and channel state): HELPLINE_DB_URL, or a SQLite file under var/."""
    return get("HELPLINE_DB_URL", f"sqlite:///{VAR / 'knowledge.db'}")


def redis_url() -> str:
    """HELPLINE_REDIS_URL: the Redis server the processes of a cluster share state through (rate
    limits, socket.io's messages between replicas); empty, the default: embedded mode, each
    process keeps that state itself."""
    return get("HELPLINE_REDIS_URL")


def endpoints_file(default: Path | None = None) -> Path:
    """The endpoints file Rasa reads (tracker store, action server): HELPLINE_ENDPOINTS."""
    return Path(get("HELPLINE_ENDPOINTS") or default or ROOT / "endpoints.yml")


def turn_wait_seconds() -> int:
    """HELPLINE_TURN_WAIT: how long a message may wait for its conversation's earlier messages to
    be answered (the lock store, bot/lock_store.py) before it is refused. A burst on a small
    cluster queues messages for a minute or more; refused, the person must send them again."""
    return get_int("HELPLINE_TURN_WAIT", 120)


def turns_in_flight() -> int:
    """HELPLINE_TURNS_IN_FLIGHT: how many messages one Rasa process works on at once (bot/admission.py);
    more wait in order. A few overlap the action server's and the database's waits; many only share
    the CPU, so every one of them finishes late."""
    return get_int("HELPLINE_TURNS_IN_FLIGHT", 8)


def response_seconds() -> int:
    """How long Rasa's HTTP handlers may take (Sanic's RESPONSE_TIMEOUT, 60 s by default, which
    cancelled messages still waiting their turn): the turn's wait and the turn itself under load."""
    return turn_wait_seconds() + 60


# --- rate limits (bot/limits.py) ----------------------------------------------------------------


def trusted_proxies() -> list[str]:
    """HELPLINE_TRUSTED_PROXIES: addresses or networks (comma or space separated) of the proxies
    whose X-Forwarded-For is believed; none by default, so a client cannot choose its address."""
    return [part for part in get("HELPLINE_TRUSTED_PROXIES").replace(",", " ").split() if part]


def limit_window() -> int:
    """HELPLINE_LIMIT_WINDOW: the seconds over which the rate limits below count messages."""
    return get_int("HELPLINE_LIMIT_WINDOW", 60)


def limit_per_sender() -> int:
    """HELPLINE_LIMIT_SENDER: messages per window from one sender id (faster than a person types);
    0 turns the limit off."""
    return get_int("HELPLINE_LIMIT_SENDER", 20)


def limit_per_address() -> int:
    """HELPLINE_LIMIT_ADDRESS: messages per window from one client address, generous because a
    whole office or a mobile operator's NAT may share one; 0 turns the limit off."""
    return get_int("HELPLINE_LIMIT_ADDRESS", 1200)


def limit_overall() -> int:
    """HELPLINE_LIMIT_OVERALL: messages per window from everyone together, what the storage and
    the replicas are sized for; 0 turns the limit off."""
    return get_int("HELPLINE_LIMIT_OVERALL", 6000)


# --- keys ---------------------------------------------------------------------------------------


def sender_key() -> str:
    """HELPLINE_SENDER_KEY, the key sender ids are hashed with; empty: a file under var/."""
    return get("HELPLINE_SENDER_KEY")


SENDER_KEY_FILE = VAR / "sender.key"


def session_key() -> str:
    """HELPLINE_SESSION_KEY, the key web chat session tokens are signed with (bot/sessions.py);
    empty: a file under var/, like the sender key. Replicas must share it."""
    return get("HELPLINE_SESSION_KEY")


SESSION_KEY_FILE = VAR / "session.key"


def session_days() -> int:
    """HELPLINE_SESSION_DAYS: how long a web chat session's token is honoured after it was issued;
    the default is the retention (`helpline conversations purge --older-than 30`), so a token
    never outlives the conversation it opens."""
    return get_int("HELPLINE_SESSION_DAYS", 30)


# --- live handoff (bot/handoff.py, bot/channels/operator.py, the operator console) ---------------

CONSOLE_TOKEN_FILE = VAR / "console.token"  # scripts/run.sh writes one (mode 0600) when unset


def console_token() -> str:
    """HELPLINE_CONSOLE_TOKEN, the console's key to the operator routes; else the file
    scripts/run.sh generated, so both processes share it; empty: the routes answer 404."""
    configured = get("HELPLINE_CONSOLE_TOKEN")
    if configured:
        return configured
    try:
        return CONSOLE_TOKEN_FILE.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def operator_hours() -> str:
    """HELPLINE_OPERATOR_HOURS: when people answer, e.g. "Mon-Fri 08:00-20:00 Europe/Tirane"
    (several spans with commas: "Mon-Fri 08:00-20:00, Sat 09:00-13:00 Europe/Tirane")."""
    return get("HELPLINE_OPERATOR_HOURS", "Mon-Fri 08:00-20:00 Europe/Tirane")


# --- operator console (bot/console) -------------------------------------------------------------


def console_host() -> str:
    """CONSOLE_HOST: where the operator console listens; this machine only unless configured."""
    return get("CONSOLE_HOST", "127.0.0.1")


def console_port() -> int:
    """CONSOLE_PORT: the operator console's port."""
    return get_int("CONSOLE_PORT", 8090)


def console_rasa_url() -> str:
    """CONSOLE_RASA_URL: the Rasa server the console's handoff client talks to (server to server)."""
    return get("CONSOLE_RASA_URL", f"http://127.0.0.1:{get_int('RASA_PORT', 5005)}").rstrip("/")
