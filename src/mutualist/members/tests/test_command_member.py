from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualist.members.models import AvailabilityWindow, Profile


def test_it_sets_availability_including_a_night_shift(cast, capsys):
    call_command("member", "availability", "ben@example.org", "mon 09:00-17:00", "fri 22:00-06:00")
    windows = list(
        AvailabilityWindow.objects.filter(profile__user=cast.ben).values_list(
            "weekday", "start", "end"
        )
    )
    assert windows == [(0, dt.time(9), dt.time(17)), (4, dt.time(22), dt.time(6))]
    out = capsys.readouterr().out
    assert "available   16.00 h/week" in out
    assert "Fri 22:00-06:00 (+1 day)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["availability", "ben@example.org", "mon 09:00-17:00", "mon 16:00-18:00"],
            "Availability windows overlap: Mon 09:00-17:00 and Mon 16:00-18:00.",
        ),
        (
            ["profile", "ben@example.org", "--timezone", "Mars/Olympus"],
            "Unknown time zone 'Mars/Olympus'; use an IANA name such as Asia/Manila.",
        ),
        (["profile", "ben@example.org", "--rate", "-5"], "The hourly rate cannot be negative."),
        (
            ["profile", "ben@example.org", "--capacity", "169"],
            "Weekly capacity must be between 0 and 168 hours.",
        ),
        (
            ["profile", "ben@example.org", "--rate", "10", "--currency", "ABC"],
            "Unknown currency 'ABC'; use an ISO 4217 code such as EUR, USD or PHP.",
        ),
        (
            ["availability", "ben@example.org", "monday"],
            "'monday' is not a window; write it like 'mon 09:00-17:00'.",
        ),
    ],
)
def test_it_refuses_bad_input_in_one_line_and_changes_nothing(cast, args, message):
    # given
    call_command("member", "availability", "ben@example.org", "tue 08:00-12:00")
    before = Profile.objects.values().get(user=cast.ben)
    windows_before = list(AvailabilityWindow.objects.filter(profile__user=cast.ben).values())
    # when
    with pytest.raises(CommandError) as excinfo:
        call_command("member", *args)
    # then
    assert str(excinfo.value) == message
    after = Profile.objects.values().get(user=cast.ben)
    assert after == before
    assert (
        list(AvailabilityWindow.objects.filter(profile__user=cast.ben).values()) == windows_before
    )


def test_an_operator_made_with_createsuperuser_can_open_their_dashboard(db, client):
    # given
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root@example.org", "a-long-passphrase-9")
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    # when
    response = client.get("/me/")
    # then
    assert response.status_code == 200
    assert admin.profile.is_public is False
    assert admin.email_verified_at is not None
