"""Where a webhook may POST (SSRF): http(s) URLs only, and never to an internal address unless an
administrator allowed private addresses for that webhook.

`check_url(url, allow_private=...)` parses the URL, resolves its host and checks every address it
resolves to; it returns a `Target` holding the checked addresses, and the deliverer connects to one of
those (never resolving the name again), so a name that resolves to a public address when checked and to
127.0.0.1 a moment later (DNS rebinding) cannot reach the inside. Subscribing and every delivery check.

Refused unless allowed: private (RFC 1918, fc00::/7, shared 100.64/10), loopback, link-local (including
169.254.169.254, the cloud metadata address), site-local, and the same hidden inside an IPv6 address
(IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo). Refused always: multicast,
reserved, unspecified (0.0.0.0, ::), broadcast, and the cloud metadata addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Never a webhook target, even with private addresses allowed: the instance metadata services.
METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SHARED = ipaddress.ip_network("100.64.0.0/10")

MAX_URL = 2000


class RefusedAddress(ValueError):
    """The URL may not be used; the message says why, for people."""


@dataclass(frozen=True)
class Target:
    scheme: str        # "http" | "https"
    host: str          # the host name as written (sent as Host and checked against the TLS certificate)
    port: int
    path: str          # path and query, at least "/"
    addresses: tuple[str, ...]  # every address the host resolved to, all checked


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


#: The resolver (a seam for tests: they point a name at an address without a DNS server).
resolve: Callable[[str, int], list[str]] = _resolve


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_problem(address: str, *, allow_private: bool) -> str:
    """Why `address` may not be a webhook's target ("" when it may)."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])  # a scope id ("fe80::1%eth0") is link-local
    except ValueError:
        return f"{address} is not an IP address"
    if ip in METADATA:
        return f"{ip} is a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(str(inner), allow_private=allow_private)
            return f"{ip} carries the IPv4 address {inner}: {problem}" if problem else ""
        if ip.is_site_local:
            return "" if allow_private else f"{ip} is a site-local address"
    if ip.is_unspecified:
        return f"{ip} is the unspecified address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_loopback:
        return "" if allow_private else f"{ip} is a loopback address"
    if ip.is_link_local:
        return "" if allow_private else f"{ip} is a link-local address"
    if isinstance(ip, ipaddress.IPv4Address) and (ip.is_reserved or ip == ipaddress.IPv4Address("255.255.255.255")):
        return f"{ip} is a reserved address"
    if ip.is_private or ip in SHARED:
        return "" if allow_private else f"{ip} is a private address"
    if ip.is_reserved or not ip.is_global:
        return f"{ip} is a reserved address"
    return ""


def parse_url(url: str) -> Target:
    """The URL's parts, without resolving; RefusedAddress when it is not an http(s) URL we can use."""
    url = (url or "").strip()
    if not url:
        raise RefusedAddress("Enter the URL to send events to, starting with https://.")
    if len(url) > MAX_URL:
        raise RefusedAddress(f"Keep the URL under {MAX_URL} characters.")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise RefusedAddress("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedAddress(f"This is not a URL we can use: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise RefusedAddress("Only http:// and https:// URLs can receive webhooks.")
    if parts.username is not None or parts.password is not None:
        raise RefusedAddress("Put no user name or password in the URL; the secret signs each event instead.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise RefusedAddress("The URL has no host name.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path, ())


def check_url(url: str, *, allow_private: bool) -> Target:
    """Parse, resolve and check; RefusedAddress says why a URL may not be used. Every address the host
    resolves to must be allowed (one internal address among public ones refuses the URL)."""
    target = parse_url(url)
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(target.host, target.port)
        except (OSError, UnicodeError) as exc:
            raise RefusedAddress(f"The host name {target.host} could not be resolved ({exc}).") from exc
        if not addresses:
            raise RefusedAddress(f"The host name {target.host} resolves to no address.")
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem:
            hint = "" if allow_private else " Internal addresses are refused unless an administrator allows them."
            raise RefusedAddress(f"Refused: {target.host} resolves to {problem}.{hint}"
                                 if literal is None else f"Refused: {problem}.{hint}")
    return Target(target.scheme, target.host, target.port, target.path, tuple(addresses))
