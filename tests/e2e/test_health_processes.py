"""The realtime health API lists every real Daphne process with its own figures."""

import asyncio
import json
import time
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import websockets
from rest_framework.authtoken.models import Token

from tests.e2e.servers import LiveSocket
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def get_json(url: str, key: str) -> dict:
    request = Request(url, headers={"Authorization": f"Token {key}", "Accept": "application/json"})
    with urlopen(request, timeout=10) as response:
        return json.loads(response.read())


async def health_until(url: str, key: str, condition, timeout: float = 30) -> dict:
    """The first health report for which `condition` holds; fails with the last one."""
    deadline = time.monotonic() + timeout
    while True:
        report = await asyncio.to_thread(get_json, url, key)
        if condition(report):
            return report
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met; last report {report}")
        await asyncio.sleep(0.2)  # the next poll of the API, not a wait for the result


def by_pid(report: dict) -> dict[int, dict]:
    return {process["pid"]: process for process in report["processes"]}


def test_health_lists_both_processes_with_their_sockets_and_refusals(daphne_servers):
    a, b = daphne_servers(2, REALTIME_HEALTH_INTERVAL="1")
    staff_key = token_for(StaffFactory())
    student_key = token_for(UserFactory())
    url = f"{a.url}/api/realtime/health/"

    def expected(report: dict) -> bool:
        rows = by_pid(report)
        row_a, row_b = rows.get(a.process.pid), rows.get(b.process.pid)
        return (
            row_a is not None
            and row_b is not None
            and row_a["open_connections"] == 2
            and row_b["open_connections"] == 1
            and row_b["failed_handshakes"]["origin"] == 1
            and row_a["failed_handshakes"]["origin"] == 0
        )

    async def scenario():
        sockets = [
            await LiveSocket.open(a, student_key),
            await LiveSocket.open(a, student_key),
            await LiveSocket.open(b, student_key),
        ]
        try:
            with pytest.raises(websockets.InvalidStatus):
                await websockets.connect(
                    b.ws_url,
                    additional_headers={"Authorization": f"Token {student_key}"},
                    origin="https://elsewhere.example",
                )
            report = await health_until(url, staff_key, expected)
            row_b = by_pid(report)[b.process.pid]
            assert row_b["failed_handshakes_per_minute"]["origin"] > 0
            assert "websockets" in row_b["serves"]
            assert report["totals"]["open_connections"] >= 3
            assert report["totals"]["failed_handshakes"]["origin"] >= 1
        finally:
            for client in sockets:
                await client.ws.close()
        # Closed sockets show as such on the next reports.
        await health_until(
            url,
            staff_key,
            lambda r: (
                by_pid(r).get(a.process.pid, {}).get("open_connections") == 0
                and by_pid(r).get(b.process.pid, {}).get("open_connections") == 0
            ),
        )

    asyncio.run(scenario())


def test_health_api_refuses_students_on_a_real_server(daphne_servers):
    (server,) = daphne_servers(1)
    request = Request(
        f"{server.url}/api/realtime/health/",
        headers={"Authorization": f"Token {token_for(UserFactory())}"},
    )
    with pytest.raises(HTTPError) as refused:
        urlopen(request, timeout=10)
    assert refused.value.code == 403


@pytest.mark.browser
def test_health_page_follows_the_processes_live(daphne_servers, browser):
    from playwright.sync_api import expect
    from websockets.sync.client import connect

    from tests.e2e.browser import signed_in_context

    (server,) = daphne_servers(1, REALTIME_HEALTH_INTERVAL="1")
    student_key = token_for(UserFactory())
    context = signed_in_context(browser, server, StaffFactory())
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto("/staff/realtime/")
    row = page.locator(f'#realtime-health-processes tr:has-text("pid {server.process.pid}")')
    open_sockets = row.locator("td").nth(2)
    # The page's own connection (every signed-in page has one) is the first socket.
    expect(open_sockets).to_have_text("1")

    # Playwright's sync API holds this thread's event loop: a synchronous websocket client.
    with connect(server.ws_url, additional_headers={"Authorization": f"Token {student_key}"}):
        # Without a reload: health.js reads the API again every interval.
        expect(open_sockets).to_have_text("2")
    expect(open_sockets).to_have_text("1")
    expect(page.locator("#realtime-health-totals th").first).to_have_text("Total")
    assert errors == []
    context.close()
