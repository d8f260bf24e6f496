"""Verification of the login email: the link mailed at sign-up, resending it,
and the other proofs of mailbox control (a confirmed email change).

Sign-up alone proves nothing about the address, and invitations find their
invitee by address, so until it is verified an account must not count as the
owner of that mailbox.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import signing
from django.test import Client
from django.urls import reverse

from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.demo.data import demo_load
from mutualist.demo.work_world import CONTACTS
from mutualist.demo.world import PEOPLE
from mutualist.members.models import User
from mutualist.members.services.accounts import (
    email_change_confirm,
    email_change_request,
    email_mark_verified,
    email_verification_send,
    email_verification_token,
    email_verify,
    user_signup,
)
from mutualist.testing import make_member

PASSWORD = "correct-horse-battery-staple-42"
NOTICE = "Please confirm your email address: we sent a link to"
INVALID = "This confirmation link is not valid. Log in to ask for a new one."
EXPIRED = "This confirmation link has expired. Log in to ask for a new one."
SIGNED_UP_AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def ana(db: None) -> User:
    """Signed up, address not yet verified."""
    return user_signup(
        email="ana@example.org", password=PASSWORD, display_name="Ana Reyes", timezone="Asia/Manila"
    )


@pytest.fixture
def ben(db: None) -> User:
    """Signed up and verified."""
    return make_member("ben@example.org", "Ben Okafor")


def verified_at(user: User) -> dt.datetime | None:
    return User.objects.values_list("email_verified_at", flat=True).get(pk=user.pk)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def link_in(body: str) -> str:
    match = re.search(r"https?://\S+", body)
    assert match, body
    return match.group(0)


def verify_url(token: str) -> str:
    return reverse("members:email_verify", kwargs={"token": token})


# --- the link mailed at sign-up -------------------------------------------------------


@pytest.mark.django_db
def test_signup_mails_a_verification_link_and_leaves_the_address_unverified(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("members:signup"),
            {
                "display_name": "Ben Okafor",
                "email": "Ben@Example.org",
                "password": PASSWORD,
                "timezone": "Africa/Lagos",
            },
        )

    # then
    user = User.objects.get()
    assert user.email_verified_at is None
    assert user.email_verified is False
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["ben@example.org"], "Confirm your Mutualist email address")
    ]
    link = link_in(mailoutbox[0].body)
    assert link.startswith("http://testserver/accounts/email/verify/")
    assert "72 hours" in mailoutbox[0].body


@pytest.mark.django_db
def test_signup_service_mails_the_link_to_the_site_url_by_default(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://mutualist.example"

    with django_capture_on_commit_callbacks(execute=True):
        user = user_signup(email="ana@example.org", password=PASSWORD, display_name="Ana Reyes")

    assert [m.to for m in mailoutbox] == [["ana@example.org"]]
    token = email_verification_token(user=user)
    assert link_in(mailoutbox[0].body) == "https://mutualist.example" + verify_url(token)


@pytest.mark.django_db
def test_a_rolled_back_signup_mails_nothing(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user_signup(email="ana@example.org", password=PASSWORD, display_name="Ana Reyes")

    # The mail waits for the commit: nothing went out while the transaction was open.
    assert len(callbacks) == 1
    assert mailoutbox == []


@pytest.mark.django_db
def test_no_link_is_mailed_to_an_address_verified_before_the_commit(
    mailoutbox, django_capture_on_commit_callbacks
):
    # given: an account created and proven in one transaction (as the demo and fixtures do)
    with django_capture_on_commit_callbacks(execute=True):
        user = user_signup(email="ana@example.org", password=PASSWORD, display_name="Ana Reyes")
        email_mark_verified(user=user)

    # then
    assert mailoutbox == []
    assert verified_at(user) is not None


@pytest.mark.django_db
def test_following_the_link_verifies_the_address(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    # given: Ana signed up (and is logged in)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("members:signup"),
            {
                "display_name": "Ana Reyes",
                "email": "ana@example.org",
                "password": PASSWORD,
                "timezone": "UTC",
            },
        )
    link = link_in(mailoutbox[0].body)
    ana = User.objects.get()

    # when: the link is opened, a GET changes nothing (mail scanners only GET)
    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert ">Confirm my address</button>" in html
    assert verified_at(ana) is None

    # when: the button is pressed
    confirmed_at = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(confirmed_at, tick=False):
        response = client.post(link)

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("members:dashboard")
    assert messages_of(response) == ["Thank you: your email address is confirmed."]
    assert verified_at(ana) == confirmed_at
    ana.refresh_from_db()
    assert ana.email_verified is True


@pytest.mark.django_db
def test_the_link_works_without_being_logged_in(ana):
    response = Client().post(verify_url(email_verification_token(user=ana)))

    assert response.status_code == 302
    assert response["Location"] == reverse("members:login")
    assert verified_at(ana) is not None


# --- links that do not work ---------------------------------------------------------


@pytest.mark.django_db
def test_a_forged_token_is_refused_and_verifies_nothing(client, ana, ben):
    # signed with another salt: the same key, but not a token this page issued
    forged = signing.dumps({"u": ana.pk, "e": ana.email}, salt="members.email_change")
    tampered = email_verification_token(user=ana)[:-2] + "xx"
    # well signed, but for someone else's address, or an account that does not exist
    other_address = signing.dumps({"u": ana.pk, "e": ben.email}, salt="members.email_verify")
    no_account = signing.dumps({"u": 999_999, "e": ana.email}, salt="members.email_verify")
    malformed = signing.dumps(["not", "a", "mapping"], salt="members.email_verify")
    ben_verified_at = verified_at(ben)

    for token in (forged, tampered, other_address, no_account, malformed, "not-a-token"):
        with pytest.raises(ValidationFailed) as refused:
            email_verify(token=token)
        assert (refused.value.code, refused.value.message) == ("invalid_token", INVALID)

    response = client.post(verify_url(forged))
    assert response.status_code == 422
    assert response.context["error"] == INVALID
    assert "This link does not work" in response.content.decode()
    assert verified_at(ana) is None
    assert verified_at(ben) == ben_verified_at


@pytest.mark.django_db
def test_an_expired_token_is_refused(client, settings):
    # The default, until settings.py names EMAIL_VERIFY_MAX_AGE_HOURS, is 72.
    if hasattr(settings, "EMAIL_VERIFY_MAX_AGE_HOURS"):
        del settings.EMAIL_VERIFY_MAX_AGE_HOURS
    with time_machine.travel(SIGNED_UP_AT, tick=False):
        ana = user_signup(email="ana@example.org", password=PASSWORD, display_name="Ana Reyes")
        token = email_verification_token(user=ana)

    just_too_late = SIGNED_UP_AT + dt.timedelta(hours=72, seconds=1)
    with time_machine.travel(just_too_late, tick=False):
        with pytest.raises(ValidationFailed) as refused:
            email_verify(token=token)
        response = client.post(verify_url(token))

    assert (refused.value.code, refused.value.message) == ("expired_token", EXPIRED)
    assert response.status_code == 422
    assert response.context["error"] == EXPIRED
    assert verified_at(ana) is None


@pytest.mark.django_db
def test_a_token_works_until_the_last_second_of_its_max_age(settings):
    settings.EMAIL_VERIFY_MAX_AGE_HOURS = 24
    with time_machine.travel(SIGNED_UP_AT, tick=False):
        ana = user_signup(email="ana@example.org", password=PASSWORD, display_name="Ana Reyes")
        token = email_verification_token(user=ana)

    too_late = SIGNED_UP_AT + dt.timedelta(hours=24, seconds=1)
    with time_machine.travel(too_late, tick=False), pytest.raises(ValidationFailed) as refused:
        email_verify(token=token)
    assert refused.value.code == "expired_token"
    with time_machine.travel(SIGNED_UP_AT + dt.timedelta(hours=24), tick=False):
        email_verify(token=token)
    assert verified_at(ana) == SIGNED_UP_AT + dt.timedelta(hours=24)


@pytest.mark.django_db
def test_a_token_mailed_before_the_login_email_changed_no_longer_works(ana):
    # given: a link went to ana@example.org, then an operator changed her login
    # email to an address no one has proved
    token = email_verification_token(user=ana)
    User.objects.filter(pk=ana.pk).update(email="ana@new.example")

    # when / then: the old mailbox's link does not vouch for the new address
    with pytest.raises(ValidationFailed) as refused:
        email_verify(token=token)

    assert refused.value.code == "invalid_token"
    ana.refresh_from_db()
    assert (ana.email, ana.email_verified_at) == ("ana@new.example", None)


@pytest.mark.django_db
def test_a_token_mailed_before_a_confirmed_email_change_no_longer_works(ana):
    # given: Ana changed her email (confirming verifies the new address)
    token = email_verification_token(user=ana)
    change = email_change_request(
        user=ana,
        new_email="ana@new.example",
        current_password=PASSWORD,
        request_base_url="http://testserver",
    )
    email_change_confirm(token=signing.dumps({"change": change.pk}, salt="members.email_change"))
    new_address_verified_at = verified_at(ana)

    # when / then
    with pytest.raises(ValidationFailed) as refused:
        email_verify(token=token)

    assert refused.value.code == "invalid_token"
    assert verified_at(ana) == new_address_verified_at


@pytest.mark.django_db
def test_using_a_token_again_after_verifying_is_harmless(client, ana):
    # given
    token = email_verification_token(user=ana)
    with time_machine.travel(SIGNED_UP_AT, tick=False):
        email_verify(token=token)

    # when: the same link again, through the service and through the page
    with time_machine.travel(SIGNED_UP_AT + dt.timedelta(hours=1), tick=False):
        again = email_verify(token=token)
        response = client.post(verify_url(token))

    # then: no error, and the first moment of verification stands
    assert again.pk == ana.pk
    assert again.email_verified_at == SIGNED_UP_AT
    assert response.status_code == 302
    assert verified_at(ana) == SIGNED_UP_AT


# --- asking for a new link ----------------------------------------------------------


@pytest.mark.django_db
def test_an_unverified_member_can_ask_for_a_new_link(
    client, ana, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(ana)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("members:email_verify_resend"))

    assert response.status_code == 302
    assert response["Location"] == reverse("members:dashboard")
    assert messages_of(response) == ["We sent a new link to ana@example.org."]
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["ana@example.org"], "Confirm your Mutualist email address")
    ]
    # and the new link works
    client.post(link_in(mailoutbox[0].body))
    assert verified_at(ana) is not None


@pytest.mark.django_db
def test_a_new_link_is_refused_for_a_verified_address(
    client, ben, mailoutbox, django_capture_on_commit_callbacks
):
    before = verified_at(ben)

    # service
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as refused:
        email_verification_send(user=ben)
    assert (refused.value.code, refused.value.message) == (
        "already_verified",
        "Your email address is already confirmed.",
    )

    # page
    client.force_login(ben)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("members:email_verify_resend"))
    assert response.status_code == 302
    assert response["Location"] == reverse("members:dashboard")
    assert messages_of(response) == ["Your email address is already confirmed."]

    assert mailoutbox == []
    assert verified_at(ben) == before


@pytest.mark.django_db
def test_asking_for_a_new_link_needs_a_login(mailoutbox, django_capture_on_commit_callbacks):
    url = reverse("members:email_verify_resend")

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('members:login')}?next={url}"
    assert mailoutbox == []


@pytest.mark.django_db
def test_asking_for_a_new_link_needs_a_post(
    client, ana, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(ana)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("members:email_verify_resend"))

    assert response.status_code == 405
    assert mailoutbox == []


# --- the reminder under the header --------------------------------------------------


@pytest.mark.django_db
def test_an_unverified_member_sees_a_reminder_with_a_resend_button(client, ana):
    client.force_login(ana)

    html = client.get(reverse("members:dashboard")).content.decode()

    assert f"{NOTICE} ana@example.org." in html
    assert 'class="verify-notice" role="status"' in html
    assert f'action="{reverse("members:email_verify_resend")}"' in html


@pytest.mark.django_db
def test_a_verified_member_and_a_visitor_see_no_reminder(ben):
    member = Client()
    member.force_login(ben)

    for client in (member, Client()):
        html = client.get(reverse("members:directory")).content.decode()
        assert NOTICE not in html
        assert reverse("members:email_verify_resend") not in html


# --- other proofs of mailbox control ------------------------------------------------


@pytest.mark.django_db
def test_confirming_an_email_change_verifies_the_new_address(ana):
    # given: Ana never verified her sign-up address
    change = email_change_request(
        user=ana,
        new_email="ana@new.example",
        current_password=PASSWORD,
        request_base_url="http://testserver",
    )
    token = signing.dumps({"change": change.pk}, salt="members.email_change")

    # when
    confirmed_at = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(confirmed_at, tick=False):
        user = email_change_confirm(token=token)

    # then
    assert (user.email, user.email_verified_at) == ("ana@new.example", confirmed_at)
    ana.refresh_from_db()
    assert (ana.email, ana.email_verified_at) == ("ana@new.example", confirmed_at)


@pytest.mark.django_db
def test_marking_verified_is_idempotent_and_keeps_the_first_time(ana):
    with time_machine.travel(SIGNED_UP_AT, tick=False):
        email_mark_verified(user=ana)
    with time_machine.travel(SIGNED_UP_AT + dt.timedelta(days=1), tick=False):
        email_mark_verified(user=ana)

    assert ana.email_verified_at == SIGNED_UP_AT
    assert verified_at(ana) == SIGNED_UP_AT


@pytest.mark.django_db
def test_marking_verified_does_nothing_if_the_address_changed_meanwhile(ana):
    # given: the caller's proof is for ana@example.org, but the login email moved on
    stale = User.objects.get(pk=ana.pk)
    User.objects.filter(pk=ana.pk).update(email="ana@new.example")

    # when
    email_mark_verified(user=stale)

    # then
    assert verified_at(ana) is None
    assert stale.email_verified_at is None


@pytest.mark.django_db
def test_demo_logins_are_verified_and_no_link_is_mailed(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        demo_load()

    # exactly the demo's people and client contacts have logins, every one verified
    assert sorted(User.objects.values_list("email", flat=True)) == sorted(
        [p.email for p in PEOPLE] + [c.email for c in CONTACTS]
    )
    assert not User.objects.filter(email_verified_at__isnull=True).exists()
    # (Invitation mails appear here only because the test runs the commit
    # callbacks after demo_load() has left its no-email backend.)
    assert "Confirm your Mutualist email address" not in {m.subject for m in mailoutbox}


@pytest.mark.django_db
def test_an_operator_changing_the_email_in_the_admin_makes_it_unverified(client, ben):
    # given: Ben's address is verified; an operator edits his account
    admin_user = User.objects.create_superuser("root@example.org", PASSWORD)
    client.force_login(admin_user)
    url = reverse("admin:members_user_change", args=[ben.pk])
    form = {"email": "ben@example.org", "is_active": "on"}
    before = verified_at(ben)

    # when: something other than the email changes, the proof stands
    assert client.post(url, {**form, "is_staff": "on"}).status_code == 302
    assert User.objects.get(pk=ben.pk).is_staff is True
    assert verified_at(ben) == before

    # when: the email changes, no one has proved the new address
    response = client.post(url, {**form, "email": "Ben@Elsewhere.example"})

    # then
    assert response.status_code == 302
    ben.refresh_from_db()
    assert (ben.email, ben.email_verified_at) == ("ben@elsewhere.example", None)
