"""Who the client is: the connection's peer, unless that peer is a trusted reverse proxy.

`X-Forwarded-For` (and `X-Forwarded-Proto`) are believed only from the addresses or networks in
`LAKEBOOK_TRUSTED_PROXIES` (none by default): anyone else could write any address there, and the
per-address sign-in throttle and the access log would believe it. From a trusted peer, the client
is the right-most address of the chain that is not itself a trusted proxy (the left part is what
the client wrote). The gateway's uvicorn runs with `--no-proxy-headers`, so this is the only place
the headers are read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """Rewrites the scope's client (and scheme) from the forwarding headers of trusted peers."""

    def __init__(self, app: ASGIApp, proxies: Iterable[str]) -> None:
        self.app = app
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(proxy, strict=False) for proxy in proxies
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if self.networks and scope["type"] in ("http", "websocket") and client:
            if self.is_trusted(client[0]):
                scope = self._forwarded_scope(scope)
        await self.app(scope, receive, send)

    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_of(self, chain: str) -> str | None:
        """The client a trusted peer forwards for: the right-most untrusted address of the
        chain (the left-most if all are trusted); None when that entry is not an address."""
        hops = [hop.strip() for hop in chain.split(",") if hop.strip()]
        if not hops:
            return None
        client = next((hop for hop in reversed(hops) if not self.is_trusted(hop)), hops[0])
        try:
            return str(ipaddress.ip_address(client))
        except ValueError:
            return None

    def _forwarded_scope(self, scope: Scope) -> Scope:
        headers = Headers(scope=scope)
        scope = dict(scope)
        chain = ",".join(headers.getlist("x-forwarded-for"))
        client = self.client_of(chain) if chain else None
        if client is not None:
            scope["client"] = (client, 0)
        proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
        if proto in ("http", "https") and scope["type"] == "http":
            scope["scheme"] = proto
        return scope
