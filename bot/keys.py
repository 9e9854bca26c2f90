"""Secret keys the processes share: from the environment, else a file under var/ made once.

The sender key (bot/privacy.py) and the session key (bot/sessions.py) work the same way: a key
set in the environment wins (a cluster gives every replica the same one); without it, the first
process writes a random key to a file readable by its owner only, and every process on the
machine reads the same file, so a restart keeps hashes and tokens valid.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def file_key(configured: str, path: Path) -> bytes:
    """`configured` when set, else the key kept in `path` (created with mode 0600 on first use)."""
    if configured:
        return configured.encode()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:  # only the first process creates it, readable by its owner only
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_hex(32).encode())
    except FileExistsError:
        path.chmod(0o600)  # one made before this rule
    return path.read_bytes().strip()
