"""The address a request came from, trusting X-Forwarded-For only from configured proxies.

One rule for every consumer of the address: sign-in lockouts (django-axes), the
/metrics allow list, and DRF's throttles (REST_FRAMEWORK["NUM_PROXIES"] is set
from the same TRUSTED_PROXY_COUNT and picks the same entry). See docs/security.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or with N trusted proxies the N-th X-Forwarded-For entry from the right.

    Each trusted proxy appends the address it saw, so the entries further left were
    written by the client and prove nothing. A malformed entry falls back to
    REMOTE_ADDR rather than letting garbage pick the address.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = forwarded.split(",")
    candidate = addresses[-min(proxies, len(addresses))].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_ip_in(request: HttpRequest, allowed: Iterable[str]) -> bool:
    """Whether the client address is one of `allowed`: addresses or networks (10.0.0.0/8)."""
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
    candidates = [ip, ip.ipv4_mapped] if ip.version == 6 and ip.ipv4_mapped else [ip]
    for entry in allowed:
        network = ipaddress.ip_network(entry, strict=False)
        if any(candidate in network for candidate in candidates):
            return True
    return False
