#!/usr/bin/env python3
"""Render deploy/nginx.conf for one site: prints the nginx configuration.

    python3 deploy/render_nginx.py --server-name lms.example.com \\
        --daphne 127.0.0.1:8001,127.0.0.1:8002 [--daphne-http 127.0.0.1:8003,127.0.0.1:8004] \\
        --static-root /srv/lms/staticfiles [--media-root /srv/lms/media] \\
        --certificate /etc/ssl/lms/fullchain.pem --certificate-key /etc/ssl/lms/privkey.pem \\
        > /etc/nginx/conf.d/lms.conf

Standard library only, so it runs with the system Python. Values are checked
before they reach the configuration: nothing that could end an nginx directive
or open a block gets through.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf")
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# Host names, addresses, ports and paths: no spaces, quotes, ';', '{', '}', '$' or '#'.
SAFE_VALUE = re.compile(r"[A-Za-z0-9_.:/\[\]*@+=,~-]+")
ADDRESS = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")
LISTEN = re.compile(r"((\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+|\*):)?(\d{1,5})")


class ConfigError(ValueError):
    """A value that cannot go into the configuration, with the reason."""


def _safe(name: str, value: str) -> str:
    if not SAFE_VALUE.fullmatch(value):
        raise ConfigError(f"{name} {value!r} has characters nginx would misread")
    return value


def _port_in_range(name: str, value: str, port: str) -> None:
    if not 0 < int(port) < 65536:
        raise ConfigError(f"{name} {value!r}: port must be 1-65535")


def upstream_servers(addresses: list[str]) -> str:
    if not addresses:
        raise ConfigError("give at least one Daphne address (--daphne 127.0.0.1:8001)")
    lines = []
    for address in addresses:
        if not ADDRESS.fullmatch(address):
            raise ConfigError(f"Daphne address {address!r} must be host:port")
        _port_in_range("Daphne address", address, address.rsplit(":", 1)[1])
        lines.append(f"    server {address} max_fails=1 fail_timeout=10s;")
    return "\n".join(lines)


def listen_value(name: str, value: str) -> str:
    match = LISTEN.fullmatch(value)
    if not match:
        raise ConfigError(f"{name} {value!r} must be a port or address:port")
    _port_in_range(name, value, match.group(3))
    return value


def absolute_path(name: str, value: str) -> str:
    _safe(name, value)
    if not value.startswith("/"):
        raise ConfigError(f"{name} {value!r} must be an absolute path")
    return value.rstrip("/") or "/"


def default_media_root(static_root: str) -> str:
    parent = static_root.rstrip("/").rsplit("/", 1)[0]
    return f"{parent}/media"


def render(
    *,
    server_name: str,
    daphne: list[str],
    static_root: str,
    certificate: str,
    certificate_key: str,
    media_root: str | None = None,
    daphne_http: list[str] | None = None,
    http_listen: str = "80",
    https_listen: str = "443",
    template: str | None = None,
) -> str:
    """The configuration text; ConfigError when a value is unusable.

    `daphne` serves websockets and held polls, `daphne_http` pages and the API; without
    `daphne_http`, the same processes serve everything. `media_root` (MEDIA_ROOT, the
    uploaded avatars) defaults to `media` beside `static_root`, as in the project's own
    layout (`staticfiles` and `media` in one folder).
    """
    names = server_name.split()
    if not names:
        raise ConfigError("give the site's host name (--server-name lms.example.com)")
    values = {
        "server_name": " ".join(_safe("server name", name) for name in names),
        "upstream_servers": upstream_servers(daphne),
        "http_upstream_servers": upstream_servers(daphne_http or daphne),
        "static_root": absolute_path("static root", static_root),
        "media_root": absolute_path("media root", media_root or default_media_root(static_root)),
        "ssl_certificate": absolute_path("certificate", certificate),
        "ssl_certificate_key": absolute_path("certificate key", certificate_key),
        "http_listen": listen_value("HTTP listen", http_listen),
        "https_listen": listen_value("HTTPS listen", https_listen),
    }
    text = TEMPLATE.read_text() if template is None else template
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise ConfigError(f"the template has placeholders this script does not fill: {missing}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server-name", required=True, help="host names, space-separated")
    parser.add_argument(
        "--daphne",
        action="append",
        required=True,
        help="Daphne host:port, comma-separated or repeated: websockets and held polls, and "
        "everything else unless --daphne-http is given",
    )
    parser.add_argument(
        "--daphne-http",
        action="append",
        default=[],
        help="Daphne host:port of processes of their own for pages and the API",
    )
    parser.add_argument("--static-root", required=True, help="STATIC_ROOT after collectstatic")
    parser.add_argument(
        "--media-root",
        default=None,
        help="MEDIA_ROOT, where uploaded avatars are stored (default: media beside the "
        "static root)",
    )
    parser.add_argument("--certificate", required=True, help="TLS certificate chain (PEM)")
    parser.add_argument("--certificate-key", required=True, help="its private key (PEM)")
    parser.add_argument("--http-listen", default="80", help="port or address:port (redirects)")
    parser.add_argument("--https-listen", default="443", help="port or address:port")
    args = parser.parse_args(argv)
    daphne = [a.strip() for group in args.daphne for a in group.split(",") if a.strip()]
    daphne_http = [a.strip() for group in args.daphne_http for a in group.split(",") if a.strip()]
    try:
        text = render(
            server_name=args.server_name,
            daphne=daphne,
            static_root=args.static_root,
            media_root=args.media_root,
            certificate=args.certificate,
            certificate_key=args.certificate_key,
            daphne_http=daphne_http,
            http_listen=args.http_listen,
            https_listen=args.https_listen,
        )
    except ConfigError as exc:
        print(f"render_nginx: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
