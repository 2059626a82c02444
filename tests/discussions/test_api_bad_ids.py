"""Ids no row can have, in query parameters: a 400 that names the parameter, never a 500."""

import pytest

pytestmark = pytest.mark.django_db

PAST_64_BITS = str(2**63)


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        (f"/api/threads/?course={PAST_64_BITS}", "course"),
        (f"/api/threads/?course=-{PAST_64_BITS}", "course"),
        (f"/api/messages/?with={PAST_64_BITS}", "with"),
        ("/api/messages/?with=" + "9" * 5000, "with"),
    ],
)
def test_an_id_past_64_bits_is_refused_by_name(cast, url, parameter):
    response = cast.client("enrolled").get(url)
    assert response.status_code == 400
    assert response.json() == {parameter: ["A valid integer is required."]}


def test_the_largest_64_bit_id_is_simply_unknown(cast):
    largest = 2**63 - 1
    client = cast.client("enrolled")
    threads = client.get(f"/api/threads/?course={largest}")
    assert threads.status_code == 200
    assert threads.json()["results"] == []
    messages = client.get(f"/api/messages/?with={largest}")
    assert messages.status_code == 200
    assert messages.json()["results"] == []
