"""Access that ends, ends everywhere: real Daphne processes on PostgreSQL and Redis.

A change made in one place (the test process, or a request through server A)
reaches the sockets and held polls on another process (server B) through
Redis: a staff flag taken away, a course given to another instructor, a
logout, a password change, a revoked API token, an unenrollment. And two
deployments sharing one Redis server never see each other's events.

No fixed sleeps: "nothing arrives" is shown with a canary event published
after the one that must not arrive; Redis delivers to a subscriber in the
order it was published, so once the canary is in, anything earlier would be too.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit, urlunsplit
from urllib.request import HTTPCookieProcessor, Request, build_opener

import dj_database_url
import psycopg
import pytest
import redis
import websockets
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections
from rest_framework.authtoken.models import Token

from discussions import services as discussions
from lms.catalog.models import Enrollment
from lms.realtime.events import publish
from lms.settings import default_namespace
from tests.discussions.factories import ThreadFactory
from tests.e2e.private_services import manage, wait_until
from tests.e2e.servers import LiveSocket, Server, database_url, server_env, start_server
from tests.factories import CourseFactory, EnrollmentFactory, InstructorFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-1"  # tests/factories.py
PROMPTLY = 5.0  # seconds: "at once", with room for a loaded machine


# HTTP


def http(
    method: str,
    url: str,
    *,
    body: dict | None = None,
    token: str | None = None,
    opener=None,
    form: dict | None = None,
) -> tuple[int, bytes]:
    """(status, body) of one request; 4xx and 5xx are answers, not exceptions."""
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token is not None:
        headers["Authorization"] = f"Token {token}"
    request = Request(url, data=data, headers=headers, method=method)
    open_url = opener.open if opener is not None else build_opener().open
    try:
        with open_url(request, timeout=30) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


class Browser:
    """A cookie jar signing in and out through the site's own pages, CSRF token and all."""

    def __init__(self) -> None:
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    @property
    def session(self) -> str | None:
        return self.cookie(settings.SESSION_COOKIE_NAME)

    def post_form(self, url: str, fields: dict) -> int:
        fields = {**fields, "csrfmiddlewaretoken": self.cookie(settings.CSRF_COOKIE_NAME)}
        return http("POST", url, form=fields, opener=self.opener)[0]

    def sign_in(self, server: Server, username: str, password: str = PASSWORD) -> str:
        assert http("GET", f"{server.url}/login/", opener=self.opener)[0] == 200
        assert self.cookie(settings.CSRF_COOKIE_NAME), "the login page set no CSRF cookie"
        status = self.post_form(
            f"{server.url}/login/", {"username": username, "password": password}
        )
        assert status == 200, status  # the redirect to the dashboard, followed
        assert self.session, "signing in set no session cookie"
        return self.session

    def sign_out(self, server: Server) -> None:
        assert self.post_form(f"{server.url}/logout/", {}) == 200  # redirected to the login page


# Websockets


async def open_with_session(server: Server, session_key: str) -> LiveSocket:
    """A browser's socket: the session cookie, and the server's own Origin."""
    ws = await websockets.connect(
        server.ws_url,
        origin=server.url,
        additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"},
    )
    return LiveSocket(ws)


async def handshake_status(server: Server, **options) -> int:
    """The HTTP status of a refused handshake (fails if it is accepted)."""
    with pytest.raises(websockets.InvalidStatus) as refused:
        ws = await websockets.connect(server.ws_url, **options)
        await ws.close()
    return refused.value.response.status_code


async def close_code(client: LiveSocket, timeout: float = PROMPTLY) -> int:
    """Wait for the server to close the socket; its close code. Frames before it are kept."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"socket still open after {timeout}s; frames {client.backlog[-5:]}")
        try:
            text = await asyncio.wait_for(client.ws.recv(), remaining)
        except websockets.ConnectionClosed:
            return client.ws.close_code
        except TimeoutError:
            continue
        client.backlog.append(json.loads(text))


async def joined(client: LiveSocket, topic: str, since: int | None = None) -> dict:
    extra = {} if since is None else {"since": since}
    reply = await client.request(op="join", topic=topic, **extra)
    assert reply["ok"], reply
    return reply


def is_event(topic: str, event: str | None = None):
    return lambda f: (
        f.get("op") == "event" and f.get("topic") == topic and event in (None, f.get("event"))
    )


def revoked(topic: str):
    return lambda f: (
        f.get("op") == "error"
        and f.get("topic") == topic
        and f.get("error", {}).get("code") == "forbidden"
    )


async def orm(function, *args, **kwargs):
    """Run database code of the test process off the event loop, closing its connection."""

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return await asyncio.to_thread(run)


def canary(user_id: int, mark: str) -> None:
    """An event on the user's own topic, published after whatever must not arrive."""
    publish(f"user:{user_id}", "test.canary", {"mark": mark})


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


# 1. Staff flag taken away


def test_staff_flag_taken_away_revokes_staff_only_topics_on_another_process(daphne_servers):
    _a, b = daphne_servers(2)
    instructor = InstructorFactory()
    staff = UserFactory(is_staff=True)  # staff by the flag only: not superuser, no course
    course = CourseFactory(instructor=instructor, is_published=False)
    closed = ThreadFactory(course=course, created_by=instructor, is_active=False)
    thread_topic, course_topic, own = (
        f"thread:{closed.pk}",
        f"course:{course.pk}",
        f"user:{staff.pk}",
    )
    key = token_for(staff)

    def demote():
        staff.is_staff = False
        staff.save()

    def post_then_canary():
        discussions.thread_message_post(
            thread=closed, sender=instructor, content="for staff eyes only"
        )
        canary(staff.pk, "after the post")

    async def scenario():
        client = await LiveSocket.open(b, key)
        try:
            for topic in (thread_topic, course_topic, own):
                await joined(client, topic)
            await orm(demote)
            for topic in (thread_topic, course_topic):
                await client.until(revoked(topic), timeout=PROMPTLY)
            for topic in (thread_topic, course_topic):
                reply = await client.request(op="join", topic=topic, since=0)
                assert reply["ok"] is False
                assert reply["error"]["code"] == "forbidden"
            await orm(post_then_canary)
            await client.until(is_event(own, "test.canary"))
            leaked = [f for f in client.backlog if is_event(thread_topic)(f)]
            assert leaked == [], leaked
            assert "for staff eyes only" not in json.dumps(client.backlog)
        finally:
            await client.ws.close()

    asyncio.run(scenario())


# 2. Course given to another instructor


def test_course_given_to_another_instructor_revokes_the_old_one_on_another_process(
    daphne_servers,
):
    a, b = daphne_servers(2)
    old, new = InstructorFactory(), InstructorFactory()
    course = CourseFactory(instructor=old)
    thread = ThreadFactory(course=course, created_by=old)
    thread_topic, course_topic, own = f"thread:{thread.pk}", f"course:{course.pk}", f"user:{old.pk}"
    old_key, new_key = token_for(old), token_for(new)

    def hand_over():
        course.instructor = new
        course.save()

    def post_then_canary():
        discussions.thread_message_post(thread=thread, sender=new, content="new hands")
        canary(old.pk, "after the post")

    async def scenario():
        before = await LiveSocket.open(b, old_key)
        after = await LiveSocket.open(a, new_key)
        try:
            for topic in (thread_topic, course_topic, own):
                await joined(before, topic)
            assert (await after.request(op="join", topic=thread_topic))["ok"] is False
            await orm(hand_over)
            await before.until(revoked(thread_topic), timeout=PROMPTLY)
            await before.until(revoked(course_topic), timeout=PROMPTLY)
            refused = await before.request(op="join", topic=thread_topic, since=0)
            assert (refused["ok"], refused["error"]["code"]) == (False, "forbidden")
            await joined(after, thread_topic)
            await orm(post_then_canary)
            event = await after.until(is_event(thread_topic, "thread.message"))
            assert event["data"]["content"] == "new hands"
            await before.until(is_event(own, "test.canary"))
            assert [f for f in before.backlog if is_event(thread_topic)(f)] == []
        finally:
            await before.ws.close()
            await after.ws.close()

    asyncio.run(scenario())


def test_access_change_saved_in_autocommit_reaches_sockets_after_the_row_is_written(
    daphne_servers,
):
    """A save outside any transaction: the revocation must act on the row as saved.

    A row lock held by another connection keeps the UPDATE waiting, which makes
    the order visible: a message sent "after commit" cannot go out before the
    lock is released; one sent before the write makes server B re-read the
    old row, keep the staff grant, and never hear of the change again.
    """
    (b,) = daphne_servers(1)
    instructor = InstructorFactory()
    staff = UserFactory(is_staff=True)
    course = CourseFactory(instructor=instructor, is_published=False)
    closed = ThreadFactory(course=course, created_by=instructor, is_active=False)
    thread_topic, own = f"thread:{closed.pk}", f"user:{staff.pk}"
    key = token_for(staff)
    url = database_url()
    table = get_user_model()._meta.db_table

    def demote_in_autocommit():
        staff.is_staff = False
        staff.save()

    def waiting_for_a_lock(observer) -> bool:
        row = observer.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        return row[0] > 0

    async def scenario():
        client = await LiveSocket.open(b, key)
        holder = await asyncio.to_thread(psycopg.connect, url)
        observer = await asyncio.to_thread(psycopg.connect, url, autocommit=True)
        try:
            for topic in (thread_topic, own):
                await joined(client, topic)
            await asyncio.to_thread(
                holder.execute, f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [staff.pk]
            )
            saving = asyncio.ensure_future(orm(demote_in_autocommit))
            await asyncio.to_thread(
                wait_until, lambda: waiting_for_a_lock(observer), 10, "the UPDATE never waited"
            )
            # Whatever the save sent so far, server B has acted on before this canary.
            await orm(canary, staff.pk, "while the UPDATE waits")
            await client.until(is_event(own, "test.canary"))
            await asyncio.to_thread(holder.commit)
            await saving
            await client.until(revoked(thread_topic), timeout=PROMPTLY)
        finally:
            await asyncio.to_thread(holder.close)
            await asyncio.to_thread(observer.close)
            await client.ws.close()

    asyncio.run(scenario())


# 3. Logout and password change end session sockets


def test_logout_through_one_process_closes_that_sessions_socket_on_another(daphne_servers):
    a, b = daphne_servers(2)
    student, staff = UserFactory(), UserFactory(is_staff=True)
    own = f"user:{student.pk}"
    key = token_for(student)
    browser = Browser()

    def direct_message():
        discussions.direct_message_send(sender=staff, recipient=student, content="after logout")

    async def scenario():
        session_key = await asyncio.to_thread(browser.sign_in, a, student.username)
        by_session = await open_with_session(b, session_key)
        # The same student's API client: another credential, which the logout leaves alone.
        by_token = await LiveSocket.open(b, key)
        try:
            await joined(by_session, own)
            await joined(by_token, own)
            started = time.monotonic()
            await asyncio.to_thread(browser.sign_out, a)
            assert await close_code(by_session) == 4401
            assert time.monotonic() - started < PROMPTLY
            await orm(direct_message)
            event = await by_token.until(is_event(own, "dm.created"))
            assert event["data"]["content"] == "after logout"
            assert "after logout" not in json.dumps(by_session.backlog)
            # The session is gone: the cookie opens nothing any more.
            cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"}
            assert await handshake_status(b, origin=b.url, additional_headers=cookie) == 403
        finally:
            await by_session.ws.close()
            await by_token.ws.close()

    asyncio.run(scenario())


def test_password_change_closes_session_sockets_on_another_process(daphne_servers):
    a, b = daphne_servers(2)
    student = UserFactory()
    own = f"user:{student.pk}"
    browser = Browser()

    def change_password():
        student.set_password("another-pass-2")
        student.save()

    async def scenario():
        session_key = await asyncio.to_thread(browser.sign_in, a, student.username)
        client = await open_with_session(b, session_key)
        try:
            await joined(client, own)
            started = time.monotonic()
            await orm(change_password)
            assert await close_code(client) == 4401
            assert time.monotonic() - started < PROMPTLY
            cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"}
            assert await handshake_status(b, origin=b.url, additional_headers=cookie) == 403
        finally:
            await client.ws.close()

    asyncio.run(scenario())


# 4. A revoked API token


def test_revoked_token_closes_its_socket_on_another_process_at_once(daphne_servers):
    a, b = daphne_servers(2)
    student = UserFactory()
    own = f"user:{student.pk}"

    async def scenario():
        status, raw = await asyncio.to_thread(
            http,
            "POST",
            f"{a.url}/api/auth/token/",
            body={"username": student.username, "password": PASSWORD},
        )
        assert status == 200, raw
        key = json.loads(raw)["token"]
        client = await LiveSocket.open(b, key)
        try:
            await joined(client, own)
            started = time.monotonic()
            status, raw = await asyncio.to_thread(
                http, "DELETE", f"{a.url}/api/auth/token/", token=key
            )
            assert status == 204, raw
            assert await close_code(client) == 4401
            assert time.monotonic() - started < PROMPTLY
            authorization = {"Authorization": f"Token {key}"}
            assert await handshake_status(b, additional_headers=authorization) == 403
            status, _ = await asyncio.to_thread(http, "GET", f"{a.url}/api/me/", token=key)
            assert status == 401
        finally:
            await client.ws.close()

    asyncio.run(scenario())
    status, raw = http("GET", f"{a.url}/api/schema/?format=json")
    assert status == 200
    operation = json.loads(raw)["paths"]["/api/auth/token/"]["delete"]
    assert "204" in operation["responses"]


# 5. Two deployments on one Redis server


SECOND_SITE = """
import json, os
from django.core.management import call_command
from discussions.models import DiscussionThread
from lms.catalog.models import Course, User
from lms.catalog.models import Enrollment
from rest_framework.authtoken.models import Token
call_command("migrate", interactive=False, verbosity=0)
student = User.objects.create_user(
    "yvonne", password="y-pass-1", first_name="Yvonne", last_name="Remote"
)
teacher = User.objects.create_user("yann", password="y-pass-1", role="instructor")
course = Course.objects.create(title="Course Y", instructor=teacher, is_published=True)
Enrollment.objects.create(user=student, course=course)
thread = DiscussionThread.objects.create(
    pk=int(os.environ["Y_THREAD_ID"]), course=course, title="Thread Y", created_by=student
)
print(json.dumps({"thread": thread.pk, "token": Token.objects.create(user=student).key}))
"""


def redis_db(url: str, number: int) -> str:
    """The same Redis server as `url`, database `number`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


@pytest.fixture
def second_database(postgres):
    """A second, empty PostgreSQL database on the test's server: its URL. Dropped afterwards."""
    db = connection.settings_dict
    name = f"lms_site_y_{uuid.uuid4().hex[:10]}"
    server = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url().rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def deployment_env(redis_url: str, database: str, namespace: str | None) -> dict[str, str]:
    """A server's environment; without `namespace` the deployment's default applies."""
    env = server_env(redis_url, database=database)
    if namespace is None:
        del env["REALTIME_NAMESPACE"]
    else:
        env["REALTIME_NAMESPACE"] = namespace
    return env


def group_channel(namespace: str, topic: str) -> str:
    """The Redis pub/sub channel of a topic's group (channels_redis.pubsub, prefix "asgi")."""
    return f"asgi__group__{namespace}.{topic.replace(':', '.')}"


def subscribers(redis_url: str, channel: str) -> int:
    """How many connections listen on a pub/sub channel (any database of the server)."""
    client = redis.Redis.from_url(redis_url)
    try:
        return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)
    finally:
        client.close()


@pytest.mark.parametrize(
    "shared_namespace", [False, True], ids=["default-namespaces", "one-namespace"]
)
def test_two_deployments_on_one_redis_server_never_see_each_others_events(
    shared_namespace, redis_url, second_database, tmp_path
):
    """Both on their default namespace (which differ); and, should an operator give both
    the same REALTIME_NAMESPACE, the site every message carries still keeps them apart."""
    url_x, url_y = redis_db(redis_url, 8), redis_db(redis_url, 11)
    database_x = database_url()
    if shared_namespace:
        namespace = f"rt-shared-{uuid.uuid4().hex[:8]}"
        namespace_x = namespace_y = namespace
    else:
        namespace = None
        namespace_x = default_namespace(dj_database_url.parse(database_x), url_x)
        namespace_y = default_namespace(dj_database_url.parse(second_database), url_y)
        assert namespace_x != namespace_y
    # Deployment X: the test's database.
    student = UserFactory(first_name="Xavier", last_name="Local")
    course = CourseFactory()
    EnrollmentFactory(user=student, course=course)
    thread = ThreadFactory(course=course, created_by=student)
    key_x = token_for(student)
    topic = f"thread:{thread.pk}"
    # Deployment Y: its own database, with a thread of the same id.
    env_y = deployment_env(url_y, second_database, namespace)
    site_y = json.loads(
        manage({**env_y, "Y_THREAD_ID": str(thread.pk)}, "shell", "-c", SECOND_SITE)
        .strip()
        .splitlines()[-1]
    )
    assert site_y["thread"] == thread.pk
    key_y = site_y["token"]
    from_y, from_x = 5, 4

    def post(server: Server, key: str, content: str) -> dict:
        status, raw = http(
            "POST",
            f"{server.url}/api/threads/{thread.pk}/messages/",
            body={"content": content},
            token=key,
        )
        assert status == 201, raw
        return json.loads(raw)

    async def scenario(x: Server, y: Server):
        on_x = await LiveSocket.open(x, key_x)
        on_y = await LiveSocket.open(y, key_y)
        try:
            await joined(on_x, topic, since=0)
            await joined(on_y, topic, since=0)
            # Where each deployment's processes listen for the topic.
            if shared_namespace:
                assert subscribers(redis_url, group_channel(namespace, topic)) == 2
            else:
                assert subscribers(redis_url, group_channel(namespace_x, topic)) == 1
                assert subscribers(redis_url, group_channel(namespace_y, topic)) == 1

            # Presence: Yvonne tracks on Y, then Xavier on X.
            await on_y.request(op="track", topic=topic, meta={"site": "Y"})
            await on_y.until(lambda f: f.get("op") == "presence" and f.get("joins"))
            await on_x.request(op="track", topic=topic, meta={"site": "X"})
            state = await on_x.until(lambda f: f.get("op") == "presence" and f.get("count"))
            assert [(u["name"], u["metas"]) for u in state["state"].values()] == [
                ("Xavier Local", [{"site": "X"}])
            ]
            # Xavier's own announcement went out after Yvonne's: had hers crossed, it is in.
            await on_x.until(lambda f: f.get("op") == "presence" and f.get("joins"))

            for n in range(from_y):
                await asyncio.to_thread(post, y, key_y, f"Y says {n}")
            for n in range(from_x):
                await asyncio.to_thread(post, x, key_x, f"X says {n}")
            events_x = [await on_x.until(is_event(topic)) for _ in range(from_x)]
            assert [(e["id"], e["data"]["content"]) for e in events_x] == [
                (n + 1, f"X says {n}") for n in range(from_x)
            ]
            events_y = [await on_y.until(is_event(topic)) for _ in range(from_y)]
            assert [(e["id"], e["data"]["content"]) for e in events_y] == [
                (n + 1, f"Y says {n}") for n in range(from_y)
            ]
            # Y's next message goes out after all of X's: had any of X's crossed, it is in.
            await asyncio.to_thread(post, y, key_y, "Y again")
            last_y = await on_y.until(is_event(topic))
            assert (last_y["id"], last_y["data"]["content"]) == (from_y + 1, "Y again")
            assert "X says" not in json.dumps(on_y.backlog)
            assert "Xavier" not in json.dumps(on_y.backlog)
            assert "Y says" not in json.dumps(on_x.backlog)
            assert "Yvonne" not in json.dumps(on_x.backlog)
        finally:
            await on_x.ws.close()
            await on_y.ws.close()

    started: list[Server] = []
    try:
        started.append(start_server(deployment_env(url_x, database_x, namespace), tmp_path))
        started.append(start_server(env_y, tmp_path))
        asyncio.run(scenario(*started))
    finally:
        for server in started:
            server.stop()


# 6. A held poll after an unenrollment


def test_held_poll_answers_forbidden_after_unenrollment_never_the_new_message(
    daphne_servers, redis_url
):
    a, b = daphne_servers(2)
    instructor, student = InstructorFactory(), UserFactory()
    course = CourseFactory(instructor=instructor)
    EnrollmentFactory(user=student, course=course)
    thread = ThreadFactory(course=course, created_by=student)
    topic = f"thread:{thread.pk}"
    student_key, instructor_key = token_for(student), token_for(instructor)
    channel = group_channel(settings.REALTIME_NAMESPACE, topic)
    listening = redis.Redis.from_url(redis_url)

    def held() -> bool:
        return dict(listening.pubsub_numsub(channel)).get(channel.encode(), 0) > 0

    def unenroll():
        Enrollment.objects.filter(user=student, course=course).delete()

    async def scenario():
        poll = asyncio.ensure_future(
            asyncio.to_thread(
                http,
                "POST",
                f"{a.url}/api/realtime/poll/",
                body={"topics": {topic: 0}, "wait": 20},
                token=student_key,
            )
        )
        # The poll is held once server A listens on the thread's group.
        await asyncio.to_thread(wait_until, lambda: held() or poll.done(), 10, "poll not held")
        assert not poll.done(), poll.result()
        started = time.monotonic()
        await orm(unenroll)
        status, raw = await asyncio.to_thread(
            http,
            "POST",
            f"{b.url}/api/threads/{thread.pk}/messages/",
            body={"content": "after you left"},
            token=instructor_key,
        )
        assert status == 201, raw
        status, raw = await poll
        return status, raw, time.monotonic() - started

    try:
        status, raw, elapsed = asyncio.run(scenario())
    finally:
        listening.close()
    assert status == 403, raw
    answer = json.loads(raw)
    assert (answer["code"], answer["topic"]) == ("forbidden", topic)
    assert b"after you left" not in raw
    assert elapsed < 10  # woken by the message, not by the end of the wait
