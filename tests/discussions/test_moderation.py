"""Moderation: reports, the queue, hiding, dismissing and muting, per role."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from discussions import moderation, services
from discussions.models import CourseMute, MessageReport, ThreadMessage
from lms.realtime.models import Event
from notifications.models import Notification
from tests.discussions.factories import ThreadMessageFactory
from tests.factories import CourseFactory, EnrollmentFactory, InstructorFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def message(cast, active_thread):
    return services.thread_message_post(
        thread=active_thread, sender=cast.creator, content="Something rude @" + "x"
    )


def report_url(message):
    return f"/api/threads/{message.thread_id}/messages/{message.pk}/report/"


# ------------------------------------------------------------------ report


def test_a_member_reports_once_and_a_second_report_returns_the_first(cast, message):
    client = client_for(cast.enrolled)
    first = client.post(report_url(message), {"reason": "  Rude  "}, format="json")
    assert first.status_code == 201
    assert first.json()["reason"] == "Rude"
    assert first.json()["status"] == "open"
    again = client.post(report_url(message), {"reason": "Still rude"}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["reason"] == "Rude"
    assert MessageReport.objects.count() == 1
    # The author is not told.
    assert not Notification.objects.filter(user=cast.creator).exists()


def test_own_message_cannot_be_reported(cast, message):
    response = client_for(cast.creator).post(report_url(message), {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert "own message" in response.json()["detail"]


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_reason_is_required_and_bounded(cast, message, reason):
    response = client_for(cast.enrolled).post(
        report_url(message), {"reason": reason}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()


def test_outsiders_cannot_report(cast, message):
    other_instructor = InstructorFactory()
    for user in (cast.unenrolled, other_instructor):
        response = client_for(user).post(report_url(message), {"reason": "x"}, format="json")
        assert response.status_code == 404
    assert APIClient().post(report_url(message), {"reason": "x"}).status_code in (401, 403)


def test_report_page_without_javascript(cast, message, client):
    client.force_login(cast.enrolled)
    url = f"/threads/{message.thread_id}/messages/{message.pk}/report/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Something rude" in page.content.decode()
    response = client.post(url, {"reason": "Spam"}, follow=True)
    assert "Thank you" in response.content.decode()
    assert MessageReport.objects.get().reason == "Spam"


def test_thread_page_offers_report_on_others_messages_only(cast, message, client):
    mine = services.thread_message_post(
        thread=message.thread, sender=cast.enrolled, content="my own words"
    )
    client.force_login(cast.enrolled)
    html = client.get(f"/threads/{message.thread_id}/").content.decode()
    assert f"/messages/{message.pk}/report/" in html
    assert f"/messages/{mine.pk}/report/" not in html


# ------------------------------------------------------------------ queue


def test_queue_for_moderators_only(cast, message, client):
    moderation.message_report(message=message, reporter=cast.enrolled, reason="Rude <b>x</b>")
    url = f"/courses/{cast.course.pk}/moderation/"
    for user in (cast.instructor, cast.staff):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Something rude" in html
        assert "Rude &lt;b&gt;x&lt;/b&gt;" in html
        assert cast.enrolled.display_name in html
        assert f"/threads/{message.thread_id}/#message-{message.pk}" in html
    client.force_login(cast.enrolled)
    assert client.get(url).status_code == 403
    client.force_login(InstructorFactory())  # another course's instructor
    assert client.get(url).status_code == 403
    client.force_login(cast.unenrolled)
    assert client.get(url).status_code == 403


def test_reports_api_per_role(cast, message):
    moderation.message_report(message=message, reporter=cast.enrolled, reason="Rude")
    url = f"/api/courses/{cast.course.pk}/reports/?status=open"
    for user in (cast.instructor, cast.staff):
        body = client_for(user).get(url).json()
        assert body["count"] == 1
        item = body["results"][0]
        assert item["message"]["content"] == message.content
        assert item["reporter"]["id"] == cast.enrolled.pk
    assert client_for(cast.enrolled).get(url).status_code == 403
    assert client_for(InstructorFactory()).get(url).status_code == 403
    assert client_for(cast.instructor).get("/api/courses/999999/reports/").status_code == 404
    counts = client_for(cast.instructor).get(f"/api/courses/{cast.course.pk}/moderation/").json()
    assert counts == {"open_reports": 1, "reported_messages": 1, "muted_students": 0}


def test_an_instructor_never_sees_another_courses_reports(cast, message):
    other = InstructorFactory()
    other_course = CourseFactory(instructor=other)
    student = EnrollmentFactory(course=other_course).user
    other_message = ThreadMessageFactory(
        thread__course=other_course, thread__created_by=other, sender=other
    )
    moderation.message_report(message=other_message, reporter=student, reason="Elsewhere")
    moderation.message_report(message=message, reporter=cast.enrolled, reason="Here")
    body = client_for(cast.instructor).get(f"/api/courses/{cast.course.pk}/reports/").json()
    assert [r["reason"] for r in body["results"]] == ["Here"]
    report = MessageReport.objects.get(reason="Elsewhere")
    assert client_for(cast.instructor).post(f"/api/reports/{report.pk}/dismiss/").status_code == 404
    assert MessageReport.objects.get(pk=report.pk).status == "open"


def test_dismiss_resolves_the_messages_reports(cast, message):
    report, _ = moderation.message_report(message=message, reporter=cast.enrolled, reason="a")
    moderation.message_report(message=message, reporter=cast.instructor, reason="b")
    assert client_for(cast.enrolled).post(f"/api/reports/{report.pk}/dismiss/").status_code == 404
    response = client_for(cast.instructor).post(f"/api/reports/{report.pk}/dismiss/")
    assert response.status_code == 200
    assert response.json()["resolved"] == 2
    assert set(MessageReport.objects.values_list("status", flat=True)) == {"dismissed"}
    assert MessageReport.objects.filter(resolved_by=cast.instructor).count() == 2
    # The message stays.
    assert ThreadMessage.objects.get(pk=message.pk).hidden_at is None


def test_queue_forms_hide_and_dismiss(cast, message, client):
    moderation.message_report(message=message, reporter=cast.enrolled, reason="a")
    client.force_login(cast.instructor)
    url = f"/courses/{cast.course.pk}/moderation/act/"
    response = client.post(url, {"action": "hide", "message": message.pk}, follow=True)
    assert "Message hidden." in response.content.decode()
    assert MessageReport.objects.get().status == "hidden"
    assert "No open report" in response.content.decode()


# ------------------------------------------------------------------ hide


def test_hidden_message_leaves_api_pages_replay_and_notifications(cast, message, client):
    reply = services.thread_message_post(
        thread=message.thread, sender=cast.enrolled, content="@" + cast.creator.username + " ok"
    )
    assert Notification.objects.filter(related_entity_id=reply.pk).exists()
    moderation.message_report(message=reply, reporter=cast.creator, reason="bad")
    response = client_for(cast.instructor).post(
        f"/api/threads/{reply.thread_id}/messages/{reply.pk}/hide/"
    )
    assert response.status_code == 200
    assert response.json()["hidden"] is True
    assert MessageReport.objects.get().status == "hidden"
    assert not Notification.objects.filter(related_entity_id=reply.pk).exists()
    # No stored event holds its text: a replay from 0 never returns it.
    topic = f"thread:{reply.thread_id}"
    stored = list(Event.objects.filter(topic=topic).values_list("event", "data"))
    assert ("thread.message.hidden", {"id": reply.pk, "thread": reply.thread_id}) in stored
    assert not any(" ok" in str(data) for _event, data in stored)
    # Gone from the API for everyone, students and moderators alike.
    for user in (cast.enrolled, cast.creator, cast.instructor):
        ids = [
            m["id"]
            for m in client_for(user)
            .get(f"/api/threads/{reply.thread_id}/messages/")
            .json()["results"]
        ]
        assert ids == [message.pk]
    # Pages: gone for students, a placeholder for moderators.
    client.force_login(cast.enrolled)
    html = client.get(f"/threads/{reply.thread_id}/").content.decode()
    assert f'id="message-{reply.pk}"' not in html
    client.force_login(cast.instructor)
    html = client.get(f"/threads/{reply.thread_id}/").content.decode()
    assert f'id="message-{reply.pk}"' in html
    assert "Hidden by a moderator" in html
    assert " ok</" not in html
    # The queue keeps the text for moderators.
    listing = client_for(cast.instructor).get(f"/api/courses/{cast.course.pk}/reports/").json()
    assert listing["results"][0]["message"]["hidden"] is True


def test_hidden_again_after_an_unhide_leaves_no_text_in_the_replay(cast, message):
    moderation.message_hide(message=message, actor=cast.instructor)
    moderation.message_unhide(message=message, actor=cast.instructor)
    moderation.message_hide(message=message, actor=cast.instructor)
    stored = Event.objects.filter(topic=f"thread:{message.thread_id}").values_list(
        "data", flat=True
    )
    assert not any(message.content in str(data) for data in stored)


def test_students_cannot_hide_and_cannot_see_hidden_messages(cast, message):
    url = f"/api/threads/{message.thread_id}/messages/{message.pk}/hide/"
    assert client_for(cast.enrolled).post(url).status_code == 403
    moderation.message_hide(message=message, actor=cast.staff)
    assert client_for(cast.enrolled).post(url).status_code == 404
    assert client_for(cast.enrolled).post(report_url(message), {"reason": "x"}).status_code == 404
    unhide = f"/api/threads/{message.thread_id}/messages/{message.pk}/unhide/"
    assert client_for(cast.instructor).post(unhide).json()["hidden"] is False
    ids = [
        m["id"]
        for m in client_for(cast.enrolled)
        .get(f"/api/threads/{message.thread_id}/messages/")
        .json()["results"]
    ]
    assert ids == [message.pk]


def test_hidden_accepted_answer_is_cleared(cast, message, active_thread):
    moderation.thread_accept(thread=active_thread, actor=cast.creator, message=message)
    moderation.message_hide(message=message, actor=cast.instructor)
    active_thread.refresh_from_db()
    assert active_thread.accepted_message_id is None


# ------------------------------------------------------------------ mute


def mute(cast, minutes=60):
    return client_for(cast.instructor).post(
        f"/api/courses/{cast.course.pk}/mutes/",
        {"user": cast.enrolled.pk, "minutes": minutes, "reason": "Cool down"},
        format="json",
    )


def test_a_muted_student_reads_but_writes_nothing(cast, message, active_thread, client):
    response = mute(cast)
    assert response.status_code == 201
    until = response.json()["until"]
    student = client_for(cast.enrolled)
    posted = student.post(
        f"/api/threads/{active_thread.pk}/messages/", {"content": "hi"}, format="json"
    )
    assert posted.status_code == 403
    assert "muted" in posted.json()["detail"]
    assert until[:10] in posted.json()["detail"]
    created = student.post(
        "/api/threads/", {"course": cast.course.pk, "title": "New"}, format="json"
    )
    assert created.status_code == 403
    assert "muted" in created.json()["detail"]
    assert student.get(f"/api/threads/{active_thread.pk}/messages/").status_code == 200
    # The page: the form is replaced by the note, and a posted form is refused with it.
    client.force_login(cast.enrolled)
    html = client.get(f"/threads/{active_thread.pk}/").content.decode()
    assert "You are muted in this course" in html
    assert 'id="post-form"' not in html
    refused = client.post(f"/threads/{active_thread.pk}/", {"content": "hi"})
    assert refused.status_code == 403
    refused = client.post(f"/courses/{cast.course.pk}/discussions/", {"title": "T"})
    assert refused.status_code == 403
    assert "muted" in refused.content.decode()
    # Other students are not muted.
    assert (
        client_for(cast.creator)
        .post(f"/api/threads/{active_thread.pk}/messages/", {"content": "hi"}, format="json")
        .status_code
        == 201
    )


def test_a_mute_ends_at_its_time_or_when_lifted(cast, active_thread):
    assert mute(cast).status_code == 201
    CourseMute.objects.update(until=timezone.now() - timedelta(seconds=1))
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="back")
    assert mute(cast).status_code == 201
    response = client_for(cast.instructor).delete(
        f"/api/courses/{cast.course.pk}/mutes/{cast.enrolled.pk}/"
    )
    assert response.status_code == 204
    services.thread_message_post(thread=active_thread, sender=cast.enrolled, content="again")


def test_only_moderators_mute_and_only_students(cast):
    url = f"/api/courses/{cast.course.pk}/mutes/"
    body = {"user": cast.creator.pk, "minutes": 60}
    assert client_for(cast.enrolled).post(url, body, format="json").status_code == 403
    assert client_for(InstructorFactory()).post(url, body, format="json").status_code == 403
    for target in (cast.instructor, cast.staff, cast.unenrolled):
        response = client_for(cast.staff).post(
            url, {"user": target.pk, "minutes": 60}, format="json"
        )
        assert response.status_code == 400
    assert (
        client_for(cast.staff).post(url, {"user": cast.creator.pk}, format="json").status_code
        == 400
    )
    listed = client_for(cast.instructor)
    assert listed.post(url, body, format="json").status_code == 201
    assert [m["user"]["id"] for m in listed.get(url).json()] == [cast.creator.pk]


def test_queue_mute_form(cast, client):
    client.force_login(cast.instructor)
    response = client.post(
        f"/courses/{cast.course.pk}/moderation/act/",
        {"action": "mute", "user": cast.enrolled.pk, "minutes": 60 * 24, "reason": "spam"},
        follow=True,
    )
    assert "is muted until" in response.content.decode()
    mute = CourseMute.objects.get()
    assert timedelta(hours=23) < mute.until - timezone.now() <= timedelta(days=1)
    assert mute.reason == "spam"


def test_admin_lists_reports_and_hides_from_there(cast, message, client):
    report, _ = moderation.message_report(message=message, reporter=cast.enrolled, reason="bad")
    client.force_login(cast.staff)
    listing = client.get("/admin/discussions/messagereport/?status__exact=open")
    assert listing.status_code == 200
    assert "bad" in listing.content.decode()
    client.post(
        "/admin/discussions/messagereport/",
        {"action": "hide_messages", "_selected_action": [report.pk]},
    )
    assert ThreadMessage.objects.get(pk=message.pk).hidden_at is not None
    assert MessageReport.objects.get().status == "hidden"
    assert client.get("/admin/discussions/coursemute/").status_code == 200
    assert client.get("/admin/discussions/userblock/").status_code == 200
