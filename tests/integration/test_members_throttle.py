"""Guessing the password through the email-change form or API is throttled
like the login form: the failures count towards the same lockout."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from mutualist.api.tests.support import assert_problem, post_json
from mutualist.members.models import EmailChange
from mutualist.testing import PASSWORD


def wrong_guesses(client, times: int) -> None:
    for _ in range(times):
        response = post_json(
            client,
            "/api/v1/me/email-change",
            {"new_email": "new@example.org", "current_password": "not-it"},
        )
        assert_problem(response, 422, "wrong_password")


def test_after_too_many_wrong_passwords_even_the_right_one_is_refused_by_the_api(cast, client_for):
    # given: a stolen session guesses Ben's password until the limit
    client = client_for(cast.ben)
    wrong_guesses(client, settings.AXES_FAILURE_LIMIT)
    # when: the next try has the right password
    response = post_json(
        client,
        "/api/v1/me/email-change",
        {"new_email": "new@example.org", "current_password": PASSWORD},
    )
    # then: refused, as a problem document, and nothing was asked for
    body = assert_problem(response, 429, "too_many_attempts")
    assert body["detail"] == "Too many wrong passwords: try again in a while."
    assert not EmailChange.objects.exists()


def test_the_guesses_lock_the_login_form_too(cast, client_for, client):
    wrong_guesses(client_for(cast.ben), settings.AXES_FAILURE_LIMIT)

    response = client.post(
        reverse("members:login"), {"username": "ben@example.org", "password": PASSWORD}
    )

    assert "_auth_user_id" not in client.session
    assert response.status_code == 429


def test_below_the_limit_the_right_password_still_works(cast, client_for):
    client = client_for(cast.ben)
    wrong_guesses(client, settings.AXES_FAILURE_LIMIT - 1)

    response = post_json(
        client,
        "/api/v1/me/email-change",
        {"new_email": "new@example.org", "current_password": PASSWORD},
    )

    assert response.status_code == 202
    assert EmailChange.objects.filter(user=cast.ben, new_email="new@example.org").exists()


def test_the_web_form_shows_the_lockout_as_a_field_error(cast, client_for):
    client = client_for(cast.ben)
    url = reverse("members:email_change")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"new_email": "new@example.org", "current_password": "not-it"})

    response = client.post(url, {"new_email": "new@example.org", "current_password": PASSWORD})

    assert response.status_code == 200
    assert response.context["form"].errors["current_password"] == [
        "Too many wrong passwords: try again in a while."
    ]
    assert not EmailChange.objects.exists()
