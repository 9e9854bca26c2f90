"""The client address of a message, for the per-address rate limit (bot/limits.py).

The address is the request's peer; behind a proxy listed in HELPLINE_TRUSTED_PROXIES it is the
last hop of X-Forwarded-For that is not such a proxy (each proxy appends the peer it saw, so the
hops to the left of it are whatever the client wrote). A client's own X-Forwarded-For is never
believed.

The channel that received the request sets `CLIENT_ADDRESS` for the task that handles the
message, and the guard reads it: the address reaches the limits without passing through the
message's metadata, which is stored with every event.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from functools import lru_cache

from bot import settings

CLIENT_ADDRESS: ContextVar[str | None] = ContextVar("client_address", default=None)
MAX_HOP_CHARS = 64  # an X-Forwarded-For hop longer than any address is cut, not stored

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """The proxies' addresses or networks; an entry that is neither names the setting."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"HELPLINE_TRUSTED_PROXIES: {entry!r} is not an address or a network") from None
    return tuple(networks)


@lru_cache(maxsize=1)
def trusted_networks() -> tuple[Network, ...]:
    return parse_networks(settings.trusted_proxies())


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in trusted)


def client_address(peer: str, forwarded_for: Iterable[str] = (),
                   trusted: Sequence[Network] | None = None) -> str:
    """The client's address: the peer, or behind trusted proxies the nearest untrusted hop of
    the X-Forwarded-For headers (several headers count as one list, in order)."""
    trusted = trusted_networks() if trusted is None else trusted
    if not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop[:MAX_HOP_CHARS]
    return hops[0][:MAX_HOP_CHARS] if hops else peer
