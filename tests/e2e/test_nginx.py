"""nginx, configured by deploy/nginx.conf, in front of two real Daphne processes.

The configuration under test is the production template rendered by
deploy/render_nginx.py (as docs/deploy.md does), with a self-signed
certificate, free ports and a temporary STATIC_ROOT filled by collectstatic.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import grp
import http.cookiejar
import ipaddress
import json
import os
import pwd
import re
import shutil
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import websockets
from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections, transaction
from rest_framework.authtoken.models import Token

from lms.realtime.events import publish
from notifications.services import notification_create
from tests.conftest import need
from tests.e2e.servers import ROOT, free_port
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RENDER = ROOT / "deploy" / "render_nginx.py"
# Only in the STATIC_ROOT nginx serves: Daphne's own static file finder has never heard of it.
MARKER = "collected-only.txt"

# What the test adds around the rendered site file: the parts of a distribution's
# nginx.conf that the site file relies on, with every path in the test's directory.
MAIN_CONF = """\
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 512; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/lms.conf;
}}
"""


@dataclass
class Front:
    """A running nginx in front of the given Daphne processes."""

    process: subprocess.Popen
    http_port: int
    https_port: int
    static_root: Path
    tls: ssl.SSLContext
    directory: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.https_port}/ws/"

    def error_log(self) -> str:
        log = self.directory / "error.log"
        return log.read_text(errors="replace")[-4000:] if log.exists() else ""


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def render_site(**options: str) -> subprocess.CompletedProcess:
    """deploy/render_nginx.py, run as the deployment docs run it."""
    argv = [sys.executable, str(RENDER)]
    for option, value in options.items():
        argv += [f"--{option.replace('_', '-')}", value]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def main_conf(directory: Path) -> str:
    # Workers of an nginx started as root would run as nobody, who cannot read the test's
    # private temporary directory.
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
    return MAIN_CONF.format(user=user, dir=directory, mime_types="/etc/nginx/mime.types")


def request(
    url: str,
    tls: ssl.SSLContext,
    *,
    data: dict | bytes | None = None,
    headers: dict[str, str] | None = None,
    cookies: http.cookiejar.CookieJar | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body), without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    handlers = [urllib.request.HTTPSHandler(context=tls), NoRedirect()]
    if cookies is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(cookies))
    opener = urllib.request.build_opener(*handlers)
    body = urlencode(data).encode() if isinstance(data, dict) else data
    try:
        with opener.open(urllib.request.Request(url, body, headers or {}), timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def nginx_path():
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    need(os.path.exists(path), "nginx (apt-get install nginx)")
    return path


@pytest.fixture
def nginx_front(nginx_path, tmp_path, settings):
    """A factory: nginx with the rendered deploy/nginx.conf in front of Daphne servers."""
    started: list[Front] = []

    def start(servers, http_servers=()) -> Front:
        directory = tmp_path / "nginx"
        directory.mkdir()
        static_root = tmp_path / "staticfiles"
        settings.STATIC_ROOT = str(static_root)
        call_command("collectstatic", interactive=False, verbosity=0)
        (static_root / MARKER).write_text("served by nginx from STATIC_ROOT\n")
        cert, key = self_signed_certificate(directory)
        http_port, https_port = free_port(), free_port()
        split = (
            {"daphne_http": ",".join(f"127.0.0.1:{server.port}" for server in http_servers)}
            if http_servers
            else {}
        )
        rendered = render_site(
            server_name="127.0.0.1 localhost",
            daphne=",".join(f"127.0.0.1:{server.port}" for server in servers),
            **split,
            static_root=str(static_root),
            certificate=str(cert),
            certificate_key=str(key),
            http_listen=f"127.0.0.1:{http_port}",
            https_listen=f"127.0.0.1:{https_port}",
        )
        assert rendered.returncode == 0, rendered.stderr
        (directory / "lms.conf").write_text(rendered.stdout)
        conf = directory / "nginx.conf"
        conf.write_text(main_conf(directory))
        command = [nginx_path, "-p", str(directory), "-c", str(conf), "-e", "error.log"]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        process = subprocess.Popen(
            [*command, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        front = Front(
            process=process,
            http_port=http_port,
            https_port=https_port,
            static_root=static_root,
            tls=ssl.create_default_context(cafile=str(cert)),
            directory=directory,
        )
        started.append(front)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{front.error_log()}")
            with contextlib.suppress(OSError):
                if request(f"{front.url}/healthz", front.tls, timeout=2)[0] == 200:
                    return front
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not answer /healthz within 20s:\n{front.error_log()}")

    yield start
    for front in started:
        front.process.terminate()
        try:
            front.process.wait(10)
        except subprocess.TimeoutExpired:
            front.process.kill()
            front.process.wait(10)


def metric(server, name: str) -> float:
    """One unlabelled figure from a Daphne process's own /metrics (not through nginx)."""
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
    return 0.0


def labelled_total(server, name: str) -> float:
    """The sum of a labelled figure over its labels, from a Daphne process's /metrics."""
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=5) as response:
        lines = response.read().decode().splitlines()
    return sum(float(line.split()[-1]) for line in lines if line.startswith(f"{name}{{"))


def wait_for(condition, timeout: float = 10, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


class Socket:
    """A websocket client through nginx, in the test's own event loop."""

    def __init__(self, ws):
        self.ws = ws
        self.ref = 0

    @classmethod
    async def open(cls, front: Front, **options) -> Socket:
        return cls(await websockets.connect(front.ws_url, ssl=front.tls, **options))

    async def frame(self, timeout: float = 10) -> dict:
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def join(self, topic: str, **extra) -> dict:
        self.ref += 1
        ref = str(self.ref)
        await self.ws.send(json.dumps({"op": "join", "topic": topic, "ref": ref, **extra}))
        while True:
            frame = await self.frame()
            if frame.get("op") == "reply" and frame.get("ref") == ref:
                return frame


def publish_tick(user, n: int) -> int:
    with transaction.atomic():
        return publish(f"user:{user.pk}", "notification.created", {"id": n, "title": f"Tick {n}"})


def test_render_refuses_values_nginx_would_misread(tmp_path):
    refused = render_site(
        server_name="lms.example.com; include /etc/passwd",
        daphne="127.0.0.1:8001",
        static_root="/srv/lms/staticfiles",
        certificate="/etc/ssl/lms/fullchain.pem",
        certificate_key="/etc/ssl/lms/privkey.pem",
    )
    assert refused.returncode == 2
    assert "server name" in refused.stderr and not refused.stdout
    relative = render_site(
        server_name="lms.example.com",
        daphne="127.0.0.1:8001",
        static_root="staticfiles",
        certificate="/etc/ssl/lms/fullchain.pem",
        certificate_key="/etc/ssl/lms/privkey.pem",
    )
    assert relative.returncode == 2 and "absolute path" in relative.stderr
    no_port = render_site(
        server_name="lms.example.com",
        daphne="127.0.0.1",
        static_root="/srv/lms/staticfiles",
        certificate="/etc/ssl/lms/fullchain.pem",
        certificate_key="/etc/ssl/lms/privkey.pem",
    )
    assert no_port.returncode == 2 and "host:port" in no_port.stderr
    http_injected = render_site(
        server_name="lms.example.com",
        daphne="127.0.0.1:8001",
        daphne_http="127.0.0.1:8003;proxy_pass",
        static_root="/srv/lms/staticfiles",
        certificate="/etc/ssl/lms/fullchain.pem",
        certificate_key="/etc/ssl/lms/privkey.pem",
    )
    assert http_injected.returncode == 2 and "host:port" in http_injected.stderr


def test_pages_static_files_and_a_signed_in_browser_session_work_through_nginx(
    daphne_servers, nginx_front
):
    servers = daphne_servers(2, SECURE_COOKIES="1")
    front = nginx_front(servers)
    user = UserFactory(first_name="Nadia", last_name="Ginx")
    cookies = http.cookiejar.CookieJar()

    # Plain HTTP is sent to HTTPS.
    status, headers, _ = request(f"http://127.0.0.1:{front.http_port}/login/?next=/", front.tls)
    assert status == 301 and headers["Location"] == "https://127.0.0.1/login/?next=/"

    status, _, page = request(f"{front.url}/login/", front.tls, cookies=cookies)
    assert status == 200
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    assert {cookie.name: cookie.secure for cookie in cookies} == {settings.CSRF_COOKIE_NAME: True}

    # The CSRF origin check passes only if Django sees HTTPS (X-Forwarded-Proto) and the
    # host with its port (Host), as the browser does.
    status, headers, _ = request(
        f"{front.url}/login/",
        front.tls,
        data={"username": user.username, "password": "secret-pass-1", "csrfmiddlewaretoken": csrf},
        headers={"Origin": front.url, "Referer": f"{front.url}/login/"},
        cookies=cookies,
    )
    assert status == 302, "sign-in through nginx refused"
    assert headers["Location"] == "/"
    session = next(c for c in cookies if c.name == settings.SESSION_COOKIE_NAME)
    assert session.secure

    status, _, page = request(f"{front.url}/", front.tls, cookies=cookies)
    assert status == 200
    assert f'data-user-id="{user.pk}"'.encode() in page and b"Nadia" in page

    # Every stylesheet and script of the page comes from STATIC_ROOT.
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', page)
    assert b"/static/js/realtime.js" in assets
    for asset in {a.decode() for a in assets}:
        status, headers, body = request(f"{front.url}{asset}", front.tls)
        assert status == 200, asset
        assert body == (front.static_root / asset.removeprefix("/static/")).read_bytes()
    status, headers, _ = request(f"{front.url}/static/js/realtime.js", front.tls)
    assert "javascript" in headers["Content-Type"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    # nginx itself answers for /static/: Daphne does not know the collected-only file.
    status, _, body = request(f"{front.url}/static/{MARKER}", front.tls)
    assert (status, body) == (200, b"served by nginx from STATIC_ROOT\n")
    with pytest.raises(urllib.error.HTTPError) as unknown_to_daphne:
        urllib.request.urlopen(f"{servers[0].url}/static/{MARKER}", timeout=5)
    assert unknown_to_daphne.value.code == 404

    # Per-process metrics are scraped from each Daphne, not through the public site.
    assert request(f"{front.url}/metrics", front.tls)[0] == 404

    async def browser_socket():
        socket = await Socket.open(
            front,
            origin=front.url,
            additional_headers={"Cookie": f"{session.name}={session.value}"},
        )
        try:
            reply = await socket.join(f"user:{user.pk}")
            assert reply["ok"], reply
        finally:
            await socket.ws.close()

    asyncio.run(browser_socket())


def test_websocket_through_nginx_moves_to_the_other_daphne_without_losing_events(
    daphne_servers, nginx_front
):
    servers = daphne_servers(2)
    front = nginx_front(servers)
    user = UserFactory()
    key = token_for(user)
    auth = {"additional_headers": {"Authorization": f"Token {key}"}}
    published: list[int] = []
    stop = threading.Event()

    def writer():
        try:
            n = 0
            while not stop.is_set():
                n += 1
                published.append(publish_tick(user, n))
                time.sleep(0.01)
        finally:
            close_old_connections()

    async def read_events(socket: Socket, received: list[int], until) -> None:
        while not until():
            frame = await socket.frame()
            if frame.get("op") == "event":
                received.append(frame["id"])

    async def scenario() -> list[int]:
        received: list[int] = []
        socket = await Socket.open(front, **auth)
        reply = await socket.join(f"user:{user.pk}")
        assert reply["ok"] and reply["data"]["last_id"] == 0
        thread = threading.Thread(target=writer)
        thread.start()
        try:
            await read_events(socket, received, lambda: len(received) >= 20)
            holding = [s for s in servers if metric(s, "lms_ws_open_sockets") == 1]
            assert len(holding) == 1, "the socket should be open on exactly one Daphne"
            (victim,) = holding
            (survivor,) = [s for s in servers if s is not victim]
            victim.kill()
            with pytest.raises(websockets.ConnectionClosed):
                await read_events(socket, received, lambda: False)
            # The writer keeps publishing while the client comes back through nginx.
            socket = await Socket.open(front, **auth)
            reply = await socket.join(f"user:{user.pk}", since=received[-1])
            assert reply["ok"] and not reply["data"].get("reset"), reply
            assert metric(survivor, "lms_ws_open_sockets") == 1
            after_reconnect = len(received)
            await read_events(socket, received, lambda: len(received) >= after_reconnect + 20)
        finally:
            stop.set()
            await asyncio.to_thread(thread.join)
        await read_events(socket, received, lambda: received[-1] >= published[-1])
        await socket.ws.close()
        return received

    received = asyncio.run(scenario())
    assert published == list(range(1, len(published) + 1))
    assert received == published, "events lost, duplicated or out of order"


def test_held_poll_through_nginx_answers_when_an_event_is_published(daphne_servers, nginx_front):
    servers = daphne_servers(2)
    front = nginx_front(servers)
    user = UserFactory()
    key = token_for(user)
    topic = f"user:{user.pk}"

    def poll() -> tuple[int, dict, float]:
        status, _, body = request(
            f"{front.url}/api/realtime/poll/",
            front.tls,
            data=json.dumps({"topics": {topic: 0}, "wait": 25}).encode(),
            headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
            timeout=40,
        )
        return status, json.loads(body), time.monotonic()

    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(poll)
        wait_for(
            lambda: sum(metric(s, "lms_poll_requests_total") for s in servers) == 1,
            message="the poll to reach a Daphne",
        )
        with pytest.raises(TimeoutError):
            answer.result(timeout=0.5)
        published_at = time.monotonic()
        assert publish_tick(user, 1) == 1
        status, body, answered_at = answer.result(timeout=10)

    assert status == 200
    assert body["events"] == [
        {
            "op": "event",
            "topic": topic,
            "event": "notification.created",
            "id": 1,
            "data": {"id": 1, "title": "Tick 1"},
        }
    ]
    assert body["last_ids"] == {topic: 1}
    assert answered_at - published_at < 5


def test_split_layout_sends_websockets_and_polls_to_one_group_and_requests_to_the_other(
    daphne_servers, nginx_front
):
    """--daphne-http: pages and the API on processes of their own; a write answered there
    reaches a websocket held by the realtime process (through Redis)."""
    realtime, http = daphne_servers(2)
    front = nginx_front([realtime], http_servers=[http])
    user = UserFactory()
    key = token_for(user)
    auth = {"Authorization": f"Token {key}", "Content-Type": "application/json"}

    async def next_event(socket: Socket) -> dict:
        while True:
            frame = await socket.frame()
            if frame.get("op") == "event":
                return frame

    async def scenario() -> list[dict]:
        socket = await Socket.open(front, additional_headers={"Authorization": f"Token {key}"})
        assert (await socket.join(f"user:{user.pk}"))["ok"]
        assert metric(realtime, "lms_ws_open_sockets") == 1
        assert metric(http, "lms_ws_open_sockets") == 0
        # An unread notification, published by this test's process.
        await asyncio.to_thread(notification_create, user=user, title="Hello")
        created = await next_event(socket)
        status, _, _ = await asyncio.to_thread(
            request, f"{front.url}/api/notifications/read-all/", front.tls, data=b"{}", headers=auth
        )
        assert status == 200
        read = await next_event(socket)
        await socket.ws.close()
        return [created, read]

    created, read = asyncio.run(scenario())
    assert created["event"] == "notification.created"
    # Answered by the HTTP process, which published the event; delivered by the other one.
    assert read["event"] == "notification.read"
    assert labelled_total(http, "lms_events_published_total") >= 1
    assert labelled_total(realtime, "lms_events_published_total") == 0
