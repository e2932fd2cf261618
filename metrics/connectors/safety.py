"""Outbound safety: refuse pulls that would reach the inside of our own network.

A pull URL is typed by a pilot owner, so it must not become a way to read internal
services (SSRF). `check_url` resolves the host and refuses the URL unless every address
it resolves to is a public unicast address. The caller then connects to the address that
was checked (`SafeTarget.ip`), never resolving the name a second time, so a DNS answer
that changes between the check and the connection (rebinding) cannot slip through.

Hosts named in `settings.PILOTGATE_OUTBOUND_ALLOW_HOSTS` (env list of the same name)
skip the address check: that is how an operator allows an in-house Prometheus.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from metrics.connectors import ConnectorError

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# NAT64 embeds an IPv4 address in IPv6; the embedded one is what gets reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ConnectorError):
    """The URL may not be fetched; never worth a retry."""

    def __init__(self, message: str):
        super().__init__(message, transient=False)


@dataclass(frozen=True)
class SafeTarget:
    scheme: str
    host: str  # the name from the URL, lowercased, used for Host and TLS SNI
    port: int
    ip: str  # the checked address to connect to
    allow_listed: bool


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal_reason(ip: IPAddress) -> str | None:
    """Why a connection to `ip` is refused, or None for a public unicast address."""
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        inner = refusal_reason(embedded)
        if inner:
            return f"an IPv4 address embedded in IPv6 ({embedded}) that is {inner}"
    checks = (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_reserved", "reserved"),
        ("is_private", "private"),
    )
    for attribute, label in checks:
        if getattr(ip, attribute):
            return f"a {label} address"
    if ip.version == 6 and ip.is_site_local:
        return "a site-local address"
    if not ip.is_global:
        # Shared address space (100.64/10), documentation ranges and the like.
        return "not a public address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectorError(f"The host {host} could not be resolved.", transient=True) from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def _normalise_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _allow_hosts() -> frozenset[str]:
    from django.conf import settings

    return frozenset(
        _normalise_host(h) for h in getattr(settings, "PILOTGATE_OUTBOUND_ALLOW_HOSTS", ())
    )


def check_url(
    url: str,
    *,
    allow_hosts: Iterable[str] | None = None,
    resolver: Resolver | None = None,
) -> SafeTarget:
    """Resolve and vet `url`; return the address to connect to or raise UnsafeURL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL("The URL is not valid.") from exc
    scheme = (parts.scheme or "").lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL("Only http and https URLs can be pulled.")
    host = _normalise_host(parts.hostname or "")
    if not host:
        raise UnsafeURL("The URL has no host.")
    port = port or DEFAULT_PORTS[scheme]
    allowed = (
        _allow_hosts()
        if allow_hosts is None
        else frozenset(_normalise_host(h) for h in allow_hosts)
    )
    allow_listed = host in allowed
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else (resolver or system_resolver)(host, port)
    if not addresses:
        raise ConnectorError(f"The host {host} has no address.", transient=True)
    if not allow_listed:
        for address in addresses:
            # A scope id (fe80::1%eth0) is not part of the address itself.
            reason = refusal_reason(ipaddress.ip_address(address.split("%", 1)[0]))
            if reason:
                raise UnsafeURL(
                    f"The host {host} resolves to {reason} ({address}); pulls to internal "
                    "addresses are refused unless an administrator allow-lists the host."
                )
    return SafeTarget(
        scheme=scheme, host=host, port=port, ip=addresses[0], allow_listed=allow_listed
    )


def describe_url(url: str) -> str:
    """The URL without credentials, query or fragment: safe for messages and logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(invalid URL)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}{parts.path}"
