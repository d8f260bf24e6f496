"""Accounts: sign-up, login and its throttling, logout, password reset, email change."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.messages import get_messages
from django.core import signing
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.members.models import EmailChange, Profile, User
from mutualist.members.services.accounts import (
    email_change_confirm,
    email_change_request,
    user_signup,
)

PASSWORD = "correct-horse-battery-staple-42"
NEW_PASSWORD = "a-brand-new-passphrase-77"


@pytest.fixture
def ana(db: None) -> User:
    return user_signup(
        email="ana@example.org", password=PASSWORD, display_name="Ana Reyes", timezone="Asia/Manila"
    )


def signup_data(**overrides: str) -> dict[str, str]:
    data = {
        "display_name": "Ben Okafor",
        "email": "ben@example.org",
        "password": PASSWORD,
        "timezone": "Africa/Lagos",
    }
    data.update(overrides)
    return data


def logged_in_user_id(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return None if user_id is None else str(user_id)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def link_in(body: str) -> str:
    match = re.search(r"https?://\S+", body)
    assert match, body
    return match.group(0)


# --- sign-up ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.argon2
def test_signup_creates_the_member_logs_them_in_and_sends_them_to_their_profile(client):
    # when
    response = client.post(reverse("members:signup"), signup_data(email="Ben@Example.org"))

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("members:profile_edit")
    user = User.objects.get()
    assert user.email == "ben@example.org"
    assert user.password.startswith("argon2")
    assert user.check_password(PASSWORD)
    assert user.profile.handle == "ben-okafor"
    assert user.profile.display_name == "Ben Okafor"
    assert user.profile.timezone == "Africa/Lagos"
    assert logged_in_user_id(client) == str(user.pk)
    assert messages_of(response) == [
        "Welcome to Mutualist! Tell other members what you do: fill in your profile."
    ]


@pytest.mark.django_db
def test_signup_page_shows_a_labelled_form(client):
    response = client.get(reverse("members:signup"))

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("display_name", "email", "password", "timezone"):
        assert f'<label for="id_{name}">' in html
    assert '<option value="Asia/Manila">Asia/Manila</option>' in html


@pytest.mark.django_db
def test_signup_refuses_an_email_that_is_taken_in_any_case(client, ana):
    # given: ana@example.org exists
    users_before, profiles_before = User.objects.count(), Profile.objects.count()

    # when
    response = client.post(reverse("members:signup"), signup_data(email="ANA@Example.ORG"))

    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["An account with this email address already exists."]
    }
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'id="id_email_error"' in html
    assert (User.objects.count(), Profile.objects.count()) == (users_before, profiles_before)
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_signup_service_refuses_a_taken_email_with_a_conflict(ana):
    with pytest.raises(Conflict) as refused:
        user_signup(email=" Ana@EXAMPLE.org ", password=PASSWORD, display_name="Another Ana")

    assert (refused.value.code, refused.value.field) == ("email_taken", "email")
    assert User.objects.count() == 1
    assert Profile.objects.count() == 1


@pytest.mark.django_db
def test_signup_refuses_a_weak_password_with_every_validator_message(client):
    response = client.post(reverse("members:signup"), signup_data(password="12345"))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "password": [
            "This password is too short. It must contain at least 8 characters. "
            "This password is too common. This password is entirely numeric."
        ]
    }
    assert User.objects.count() == 0
    assert Profile.objects.count() == 0


@pytest.mark.django_db
def test_signup_refuses_a_password_too_like_the_email_address():
    with pytest.raises(ValidationFailed) as refused:
        user_signup(
            email="rosalind.franklin@example.org", password="rosalind.franklin", display_name="R"
        )

    assert refused.value.field == "password"
    assert refused.value.message == "The password is too similar to the email address."
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_signup_form_refuses_a_time_zone_not_in_the_list(client):
    response = client.post(reverse("members:signup"), signup_data(timezone="Mars/Olympus"))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "timezone": ["Select a valid choice. Mars/Olympus is not one of the available choices."]
    }
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_signup_service_refuses_an_unknown_time_zone():
    with pytest.raises(ValidationFailed) as refused:
        user_signup(
            email="ben@example.org", password=PASSWORD, display_name="Ben", timezone="Mars/Olympus"
        )

    assert refused.value.code == "invalid_timezone"
    assert refused.value.field == "timezone"
    assert refused.value.message == (
        "Unknown time zone 'Mars/Olympus'; use an IANA name such as Asia/Manila."
    )
    assert User.objects.count() == 0
    assert Profile.objects.count() == 0


@pytest.mark.django_db
def test_signup_gives_a_numbered_handle_when_the_name_is_taken():
    first = user_signup(email="a1@example.org", password=PASSWORD, display_name="Ana Reyes")
    second = user_signup(email="a2@example.org", password=PASSWORD, display_name="Ana  Reyes!")
    third = user_signup(email="a3@example.org", password=PASSWORD, display_name="ana reyes")

    assert [first.profile.handle, second.profile.handle, third.profile.handle] == [
        "ana-reyes",
        "ana-reyes-2",
        "ana-reyes-3",
    ]


@pytest.mark.django_db
def test_signup_makes_a_handle_for_a_name_with_no_latin_letters():
    user = user_signup(email="li@example.org", password=PASSWORD, display_name="李雷")

    assert user.profile.handle == "member"
    assert user.profile.display_name == "李雷"


@pytest.mark.django_db
def test_signup_page_sends_a_logged_in_member_to_the_dashboard(client, ana):
    client.force_login(ana)

    response = client.get(reverse("members:signup"))

    assert response.status_code == 302
    assert response["Location"] == reverse("members:dashboard")


# --- login and throttling -----------------------------------------------------------


@pytest.mark.django_db
def test_login_with_the_email_in_any_case_logs_the_member_in(client, ana):
    response = client.post(
        reverse("members:login"), {"username": "ANA@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("members:dashboard")
    assert logged_in_user_id(client) == str(ana.pk)


@pytest.mark.django_db
def test_login_with_a_wrong_password_shows_an_error_and_does_not_log_in(client, ana):
    response = client.post(
        reverse("members:login"), {"username": "ana@example.org", "password": "wrong"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter a correct email address and password. "
        "Note that both fields may be case-sensitive."
    ]
    assert 'role="alert"' in response.content.decode()
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_after_too_many_failures_even_the_right_password_is_refused(client, ana, settings):
    # given: the failure limit reached, with the address typed in varying case
    settings.AXES_FAILURE_LIMIT = 3
    for email in ("ana@example.org", "ANA@example.org", "Ana@Example.org"):
        client.post(reverse("members:login"), {"username": email, "password": "wrong"})

    # when
    response = client.post(
        reverse("members:login"), {"username": "ana@example.org", "password": PASSWORD}
    )

    # then
    assert response.status_code == 429
    assert "members/locked_out.html" in [t.name for t in response.templates]
    assert "After 3 wrong passwords in a row" in response.content.decode()
    assert "paused for 15 minutes" in response.content.decode()
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_lockout_ends_after_the_cool_off_time(client, ana, settings):
    # given: ana locked out (AXES_COOLOFF_TIME is a quarter of an hour)
    settings.AXES_FAILURE_LIMIT = 2
    start = dt.datetime.now(tz=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(2):
            client.post(reverse("members:login"), {"username": ana.email, "password": "wrong"})
        locked = client.post(
            reverse("members:login"), {"username": ana.email, "password": PASSWORD}
        )
    assert locked.status_code == 429

    # when: she tries again 16 minutes later
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        response = client.post(
            reverse("members:login"), {"username": ana.email, "password": PASSWORD}
        )

        # then
        assert response.status_code == 302
        assert logged_in_user_id(client) == str(ana.pk)


# Far past any email column (254) and axes' AccessAttempt.username (varchar 255),
# and past SQLite's LIKE pattern limit (50,000 bytes) that the lookup by address
# (email__iexact) runs into.
HUGE = "x" * 100_000


@pytest.mark.django_db
def test_login_refuses_an_address_longer_than_any_email_and_records_no_attempt(client, ana):
    # given: a user exists, so the lookup by address would compare against a row

    # when
    response = client.post(reverse("members:login"), {"username": HUGE, "password": "y"})

    # then: the form says why, and the address never reached authenticate()
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "username": ["An email address has at most 254 characters."]
    }
    assert 'id="id_username_error"' in response.content.decode()
    assert logged_in_user_id(client) is None
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db
def test_login_with_the_longest_possible_address_is_an_ordinary_failure(client, ana):
    # given: 254 characters, the most an email column holds
    longest = "a" * 64 + "@" + "b" * 185 + ".org"
    assert len(longest) == 254

    # when
    response = client.post(reverse("members:login"), {"username": longest, "password": "wrong"})

    # then: what any wrong login gets, and django-axes counts it like one
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter a correct email address and password. "
        "Note that both fields may be case-sensitive."
    ]
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [
        (longest, 1)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "data", "field"),
    [
        ("members:signup", signup_data(email=HUGE), "email"),
        ("members:signup", signup_data(email=HUGE + "@example.org"), "email"),
        ("members:password_reset", {"email": HUGE + "@example.org"}, "email"),
    ],
    ids=["signup", "signup-with-an-at", "password-reset"],
)
def test_the_account_forms_refuse_a_huge_address_on_the_field(
    client, ana, mailoutbox, page, data, field
):
    users_before = list(User.objects.values_list("pk", "email", "password"))

    response = client.post(reverse(page), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert "Ensure this value has at most 254 characters (it has" in " ".join(errors[field])
    assert list(User.objects.values_list("pk", "email", "password")) == users_before
    assert mailoutbox == []


@pytest.mark.django_db
def test_email_change_refuses_a_huge_address_on_the_field(client, ana, mailoutbox):
    client.force_login(ana)

    response = client.post(
        reverse("members:email_change"),
        {"new_email": HUGE + "@example.org", "current_password": PASSWORD},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["new_email"]
    assert "Ensure this value has at most 254 characters (it has" in " ".join(errors["new_email"])
    assert not EmailChange.objects.exists()
    assert mailoutbox == []


# --- logout ------------------------------------------------------------------------


@pytest.mark.django_db
def test_logout_refuses_get_and_keeps_the_member_logged_in(client, ana):
    client.force_login(ana)

    response = client.get(reverse("members:logout"))

    assert response.status_code == 405
    assert logged_in_user_id(client) == str(ana.pk)


@pytest.mark.django_db
def test_logout_by_post_logs_out_and_goes_home(client, ana):
    client.force_login(ana)

    response = client.post(reverse("members:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user_id(client) is None
    assert messages_of(response) == ["You are logged out."]


# --- password reset and change -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.argon2
def test_password_reset_mails_a_link_that_sets_a_new_password(client, ana, mailoutbox):
    # when: ana asks for a reset, typing her address in capitals
    response = client.post(reverse("members:password_reset"), {"email": "ANA@EXAMPLE.ORG"})

    # then: one email to her with a working link
    assert response.status_code == 302
    assert response["Location"] == reverse("members:password_reset_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ana@example.org"]
    assert mailoutbox[0].subject == "Reset your Mutualist password"
    link = link_in(mailoutbox[0].body)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("members:password_reset_complete")
    ana.refresh_from_db()
    assert ana.check_password(NEW_PASSWORD)
    assert ana.password.startswith("argon2")

    # and the link works only once
    again = client.get(link, follow=True)
    assert again.context["validlink"] is False


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post(reverse("members:password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("members:password_reset_done")
    assert mailoutbox == []


@pytest.mark.django_db
def test_password_reset_lifts_a_login_lockout(client, ana, settings, mailoutbox):
    # given: ana is locked out
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(reverse("members:login"), {"username": ana.email, "password": "wrong"})
    locked = client.post(reverse("members:login"), {"username": ana.email, "password": PASSWORD})
    assert locked.status_code == 429

    # when: she resets her password by email
    client.post(reverse("members:password_reset"), {"email": ana.email})
    form_page = client.get(link_in(mailoutbox[0].body), follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    # then: she can log in at once
    response = client.post(
        reverse("members:login"), {"username": ana.email, "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(ana.pk)


@pytest.mark.django_db
def test_password_change_needs_a_login(client):
    response = client.get(reverse("members:password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login") + "?next=")


@pytest.mark.django_db
def test_password_change_sets_the_new_password_and_keeps_the_session(client, ana):
    client.force_login(ana)

    response = client.post(
        reverse("members:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("members:dashboard")
    ana.refresh_from_db()
    assert ana.check_password(NEW_PASSWORD)
    assert logged_in_user_id(client) == str(ana.pk)
    assert messages_of(response) == ["Your password has been changed."]


# --- email change ---------------------------------------------------------------------


def request_change(client, user: User, new_email: str, capture):
    with capture(execute=True):
        return client.post(
            reverse("members:email_change"),
            {"new_email": new_email, "current_password": PASSWORD},
        )


@pytest.mark.django_db
def test_email_change_mails_a_link_to_the_new_address_and_a_notice_to_the_old(
    client, ana, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(ana)

    response = request_change(
        client, ana, "Ana.Reyes@New.example", django_capture_on_commit_callbacks
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("members:email_change")
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["ana.reyes@new.example"], "Confirm your new Mutualist login email"),
        (["ana@example.org"], "Someone asked to change your Mutualist login email"),
    ]
    assert "/accounts/email/confirm/" in link_in(mailoutbox[0].body)
    assert "/accounts/email/confirm/" not in mailoutbox[1].body
    ana.refresh_from_db()
    assert ana.email == "ana@example.org"  # unchanged until confirmed


@pytest.mark.django_db
def test_email_change_needs_the_current_password(
    client, ana, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(ana)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("members:email_change"),
            {"new_email": "x@example.org", "current_password": "wrong"},
        )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "current_password": ["Your password is not correct."]
    }
    assert "Your password is not correct." in response.content.decode()
    assert EmailChange.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_email_change_form_asks_for_the_password_with_the_current_password_hint(client, ana):
    client.force_login(ana)

    page = client.get(reverse("members:email_change")).content.decode()

    assert 'name="current_password"' in page
    assert 'autocomplete="current-password"' in page


# --- email change: the service, which the page and the API share ----------------------


@pytest.mark.django_db
def test_the_email_change_service_refuses_a_wrong_password_and_changes_nothing(
    ana, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed) as e:
        email_change_request(
            user=ana,
            new_email="ana@new.example",
            current_password="not-her-password",
            request_base_url="http://testserver",
        )

    assert (e.value.code, e.value.field, e.value.message) == (
        "wrong_password",
        "current_password",
        "Your password is not correct.",
    )
    assert EmailChange.objects.count() == 0
    assert mailoutbox == []
    ana.refresh_from_db()
    assert ana.email == "ana@example.org"


@pytest.mark.django_db
def test_the_email_change_service_refuses_an_empty_password(ana):
    with pytest.raises(ValidationFailed) as refused:
        email_change_request(
            user=ana, new_email="ana@new.example", current_password="", request_base_url="http://x"
        )

    assert refused.value.code == "wrong_password"
    assert EmailChange.objects.count() == 0


@pytest.mark.django_db
def test_without_the_password_the_email_change_says_nothing_about_other_accounts(ana):
    # given: Ben's address is taken; whoever has Ana's session but not her password
    user_signup(email="ben@example.org", password=PASSWORD, display_name="Ben")

    with pytest.raises(ValidationFailed) as refused:
        email_change_request(
            user=ana,
            new_email="ben@example.org",
            current_password="a-guess",
            request_base_url="http://x",
        )

    # then: the password is checked first, so "email_taken" never answers them
    assert refused.value.code == "wrong_password"


# 260 characters: validate_email accepts it, the email columns hold 254.
TOO_LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".org"


@pytest.mark.django_db
def test_sign_up_refuses_an_address_longer_than_the_column(db):
    with pytest.raises(ValidationFailed) as refused:
        user_signup(email=TOO_LONG_EMAIL, password=PASSWORD, display_name="Long")

    assert (refused.value.code, refused.value.field) == ("too_long", "email")
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_the_email_change_service_refuses_an_address_longer_than_the_column(ana):
    too_long = TOO_LONG_EMAIL
    assert len(too_long) == 260

    with pytest.raises(ValidationFailed) as refused:
        email_change_request(
            user=ana, new_email=too_long, current_password=PASSWORD, request_base_url="http://x"
        )

    assert (refused.value.code, refused.value.field) == ("too_long", "new_email")
    assert EmailChange.objects.count() == 0


@pytest.mark.django_db
def test_email_change_refuses_an_address_someone_else_uses(client, ana, mailoutbox):
    user_signup(email="ben@example.org", password=PASSWORD, display_name="Ben")
    client.force_login(ana)

    response = client.post(
        reverse("members:email_change"),
        {"new_email": "BEN@example.org", "current_password": PASSWORD},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "new_email": ["An account with this email address already exists."]
    }
    assert EmailChange.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_following_the_link_switches_the_login_email(
    client, ana, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(ana)
    request_change(client, ana, "ana@new.example", django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[0].body)

    # when: the link is opened (a GET changes nothing) and the button pressed
    page = client.get(link)
    ana.refresh_from_db()
    assert page.status_code == 200
    assert ana.email == "ana@example.org"
    response = client.post(link)

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("members:dashboard")
    ana.refresh_from_db()
    assert ana.email == "ana@new.example"
    assert EmailChange.objects.get().confirmed_at is not None
    client.logout()
    login = client.post(
        reverse("members:login"), {"username": "ana@new.example", "password": PASSWORD}
    )
    assert login.status_code == 302


@pytest.mark.django_db
def test_a_confirmation_link_works_only_once(
    client, ana, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(ana)
    request_change(client, ana, "ana@new.example", django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[0].body)
    client.post(link)

    response = client.post(link)

    assert response.status_code == 409
    assert response.context["error"] == "This confirmation link has already been used."
    ana.refresh_from_db()
    assert ana.email == "ana@new.example"


@pytest.mark.django_db
def test_confirm_service_refuses_a_spent_token_with_a_conflict(ana):
    change = email_change_request(
        user=ana,
        new_email="ana@new.example",
        current_password=PASSWORD,
        request_base_url="http://testserver",
    )
    token = signing.dumps({"change": change.pk}, salt="members.email_change")
    email_change_confirm(token=token)

    with pytest.raises(Conflict) as refused:
        email_change_confirm(token=token)

    assert refused.value.code == "token_used"


@pytest.mark.django_db
def test_a_forged_token_is_refused(client, ana):
    change = email_change_request(
        user=ana,
        new_email="ana@new.example",
        current_password=PASSWORD,
        request_base_url="http://testserver",
    )
    # signed with another salt: the same key, but not a token this page issued
    forged = signing.dumps({"change": change.pk}, salt="something.else")
    tampered = signing.dumps({"change": change.pk}, salt="members.email_change")[:-2] + "xx"

    for token in (forged, tampered, "not-a-token"):
        with pytest.raises(ValidationFailed) as refused:
            email_change_confirm(token=token)
        assert refused.value.code == "invalid_token"

    response = client.post(reverse("members:email_change_confirm", kwargs={"token": forged}))
    assert response.status_code == 422
    assert response.context["error"] == (
        "This confirmation link is not valid. Ask for a new one from your account page."
    )
    ana.refresh_from_db()
    assert ana.email == "ana@example.org"


@pytest.mark.django_db
def test_an_expired_token_is_refused(ana, settings):
    settings.EMAIL_CHANGE_MAX_AGE_HOURS = 48
    requested_at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(requested_at, tick=False):
        change = email_change_request(
            user=ana,
            new_email="ana@new.example",
            current_password=PASSWORD,
            request_base_url="http://testserver",
        )
        token = signing.dumps({"change": change.pk}, salt="members.email_change")

    just_too_late = requested_at + dt.timedelta(hours=48, seconds=1)
    with (
        time_machine.travel(just_too_late, tick=False),
        pytest.raises(ValidationFailed) as refused,
    ):
        email_change_confirm(token=token)

    assert refused.value.code == "expired_token"
    ana.refresh_from_db()
    assert ana.email == "ana@example.org"
    assert EmailChange.objects.get().confirmed_at is None


@pytest.mark.django_db
def test_confirming_refuses_an_address_taken_since_the_request(ana):
    change = email_change_request(
        user=ana,
        new_email="ana@new.example",
        current_password=PASSWORD,
        request_base_url="http://testserver",
    )
    token = signing.dumps({"change": change.pk}, salt="members.email_change")
    user_signup(email="ANA@new.example", password=PASSWORD, display_name="Someone Else")

    with pytest.raises(Conflict) as refused:
        email_change_confirm(token=token)

    assert refused.value.code == "email_taken"
    ana.refresh_from_db()
    assert ana.email == "ana@example.org"
    assert EmailChange.objects.get().confirmed_at is None


@pytest.mark.django_db
def test_a_new_request_makes_the_earlier_link_stop_working(ana):
    first = email_change_request(
        user=ana,
        new_email="first@new.example",
        current_password=PASSWORD,
        request_base_url="http://testserver",
    )
    first_token = signing.dumps({"change": first.pk}, salt="members.email_change")
    email_change_request(
        user=ana,
        new_email="second@new.example",
        current_password=PASSWORD,
        request_base_url="http://x",
    )

    with pytest.raises(ValidationFailed) as refused:
        email_change_confirm(token=first_token)

    assert refused.value.code == "invalid_token"
    ana.refresh_from_db()
    assert ana.email == "ana@example.org"


@pytest.mark.django_db
def test_email_change_page_needs_a_login(client):
    response = client.get(reverse("members:email_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


# --- admin ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_adds_a_user_through_the_signup_service(client):
    admin_user = User.objects.create_superuser("root@example.org", PASSWORD)
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:members_user_add"),
        {
            "email": "New.Person@Example.org",
            "display_name": "New Person",
            "timezone": "Europe/Berlin",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.org")
    assert user.profile.handle == "new-person"
    assert user.profile.timezone == "Europe/Berlin"
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_admin_lists_and_searches_users_by_email(client, ana):
    admin_user = User.objects.create_superuser("root@example.org", PASSWORD)
    client.force_login(admin_user)

    response = client.get(reverse("admin:members_user_changelist"), {"q": "ana@exa"})

    assert response.status_code == 200
    assert [user.email for user in response.context["cl"].result_list] == ["ana@example.org"]
    assert "ana@example.org" in response.content.decode()


# --- base pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_invites_a_visitor_to_sign_up(client):
    response = client.get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("members:signup")}"' in html
    assert f'href="{reverse("members:login")}"' in html
    assert 'href="#content"' in html
    assert "htmx" in html


@pytest.mark.django_db
def test_home_shows_a_member_the_dashboard_and_a_logout_button(client, ana):
    client.force_login(ana)

    html = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("members:dashboard")}"' in html
    assert f'action="{reverse("members:logout")}"' in html
    assert f'href="{reverse("members:login")}"' not in html


@pytest.mark.django_db
def test_an_unknown_address_shows_the_404_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_500_page_renders_without_a_request():
    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html


@pytest.mark.django_db
def test_sign_up_from_an_invitation_link_returns_to_the_invitation(client):
    # given: the sign-up link on an invitation page carries ?next=
    url = reverse("members:signup") + "?next=/invitations/abc/"
    page = client.get(url)
    assert 'name="next" value="/invitations/abc/"' in page.content.decode()
    # when
    response = client.post(
        url,
        {
            "email": "newbie@example.org",
            "password": "a-long-unusual-passphrase-77",
            "display_name": "New Bie",
            "timezone": "Asia/Manila",
            "next": "/invitations/abc/",
        },
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == "/invitations/abc/"


@pytest.mark.django_db
def test_sign_up_ignores_a_next_address_on_another_site(client):
    response = client.post(
        reverse("members:signup"),
        {
            "email": "newbie@example.org",
            "password": "a-long-unusual-passphrase-77",
            "display_name": "New Bie",
            "timezone": "Asia/Manila",
            "next": "https://evil.example.com/",
        },
    )
    assert response["Location"] == reverse("members:profile_edit")


# --- guessing the old password on the password-change page ----------------------------


def _change_password(client: Client, old: str) -> Any:
    return client.post(
        reverse("members:password_change"),
        {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


@pytest.mark.django_db
def test_wrong_old_passwords_lock_the_password_change_page_and_the_login(ana, client, settings):
    # given: a stolen session guesses Ana's password up to the limit
    client.force_login(ana, backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _change_password(client, "not-it").status_code == 200
    # when: the next try has the right old password
    response = _change_password(client, PASSWORD)
    # then: refused on the field, and the password is unchanged
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"] == [
        "Too many wrong passwords: try again in a while."
    ]
    ana.refresh_from_db()
    assert ana.check_password(PASSWORD)
    # and the login form is locked for her too
    other = Client()
    locked = other.post(reverse("members:login"), {"username": ana.email, "password": PASSWORD})
    assert locked.status_code == 429


@pytest.mark.django_db
def test_below_the_limit_the_password_still_changes(ana, client, settings):
    client.force_login(ana, backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _change_password(client, "not-it")

    response = _change_password(client, PASSWORD)

    assert response.status_code == 302
    ana.refresh_from_db()
    assert ana.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_the_admin_login_refuses_an_absurdly_long_address_without_a_500(ana, client):
    response = client.post(
        "/admin/login/", {"username": "x" * 100_000 + "@example.org", "password": "y"}
    )
    assert response.status_code == 200
    assert "An email address has at most 254 characters." in response.content.decode()
