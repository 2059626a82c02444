"""A topic family used only by the realtime core tests: `probe:{owner_id}`.

Joinable by its owner (Grant role "owner") and by staff (role "staff"), with
presence, like the app topics it stands in for.
"""

from lms.realtime.registry import Grant, Topic, register, resolve


def probe_authorize(user, *, owner_id):
    if user.pk == owner_id:
        return Grant(role="owner", course_id=owner_id)
    if user.is_staff:
        return Grant(role="staff", course_id=owner_id)
    return None


def probe_join_data(user, *, owner_id):
    return {"owner": owner_id}


if resolve("probe:1") is None:
    register(
        Topic(
            name="probe",
            pattern=r"probe:(?P<owner_id>\d+)",
            authorize=probe_authorize,
            join_data=probe_join_data,
            persistent=True,
            presence=True,
        )
    )
    register(
        Topic(
            name="probe-live",
            pattern=r"probe-live:(?P<owner_id>\d+)",
            authorize=probe_authorize,
            persistent=False,
        )
    )
