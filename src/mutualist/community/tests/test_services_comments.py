"""comment_submit, comment_moderate and comment_edit: the rules a comment meets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from mutualist.community.models import Comment, Post, SpentChallenge
from mutualist.community.services.challenges import challenge_issue
from mutualist.community.services.comments import (
    address_digest,
    comment_edit,
    comment_moderate,
    comment_submit,
)
from mutualist.community.tests.helpers import ADDRESS, answer_of, published_post, visitor_comment
from mutualist.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


def refused(call: Any, error: type[DomainError], code: str) -> DomainError:
    """Run ``call``, expect ``error`` with ``code``, and check nothing was stored."""
    before = Comment.objects.count()
    with pytest.raises(error) as caught:
        call()
    assert caught.value.code == code
    assert Comment.objects.count() == before
    return caught.value


@pytest.fixture
def post(cast: Cast) -> Post:
    return published_post(cast.ana)


def form(post: Post, **kwargs: Any) -> dict[str, Any]:
    issued = challenge_issue()
    fields: dict[str, Any] = {
        "post": post,
        "name": "Rosa",
        "email": "rosa@example.net",
        "body": "Thank you, this helped.",
        "address": ADDRESS,
        "challenge": issued.signed,
        "answer": str(answer_of(issued)),
    }
    fields.update(kwargs)
    return fields


# --- Held until trusted ---------------------------------------------------------


def test_a_first_comment_from_a_new_address_is_held_for_moderation(post: Post) -> None:
    comment = comment_submit(**form(post))

    assert comment.status == Comment.Status.PENDING
    assert comment.email == "rosa@example.net"
    assert comment.address_digest == address_digest(ADDRESS)
    assert ADDRESS not in comment.address_digest


def test_later_comments_are_published_once_one_of_theirs_was_approved(
    cast: Cast, post: Post
) -> None:
    first = comment_submit(**form(post))
    second = comment_submit(**form(post, body="And another thought."))
    assert second.status == Comment.Status.PENDING  # nothing approved yet

    comment_moderate(comment=first, moderator=cast.ana, action="approve")
    third = comment_submit(**form(post, email="ROSA@example.net", body="Once more."))

    assert third.status == Comment.Status.APPROVED


def test_a_spam_comment_earns_no_trust(cast: Cast, post: Post) -> None:
    first = comment_submit(**form(post))
    comment_moderate(comment=first, moderator=cast.ana, action="spam")

    assert comment_submit(**form(post, body="Buy now.")).status == Comment.Status.PENDING


def test_a_signed_in_member_skips_the_question_and_uses_the_account_email(
    cast: Cast, post: Post
) -> None:
    comment = comment_submit(
        post=post, body="Same here.", address=ADDRESS, user=cast.ben, email="fake@example.com"
    )

    assert comment.email == cast.ben.email
    assert comment.name == "Ben Okafor"
    assert comment.user == cast.ben
    assert comment.status == Comment.Status.PENDING
    assert SpentChallenge.objects.count() == 0


def test_the_posts_author_is_published_at_once(cast: Cast, post: Post) -> None:
    comment = comment_submit(post=post, body="Thanks all!", address=ADDRESS, user=cast.ana)

    assert comment.status == Comment.Status.APPROVED


def test_a_coordinator_of_the_posts_collective_is_published_at_once(cast: Cast) -> None:
    post = published_post(cast.ben, collective=cast.collective_a)  # Ana coordinates A

    comment = comment_submit(post=post, body="Proud of this.", address=ADDRESS, user=cast.ana)

    assert comment.status == Comment.Status.APPROVED


def test_a_reply_hangs_under_a_shown_comment_of_the_same_post(cast: Cast, post: Post) -> None:
    parent = comment_submit(post=post, body="Question?", address=ADDRESS, user=cast.ana)

    reply = comment_submit(**form(post, parent_id=parent.pk))

    assert reply.parent == parent


@pytest.mark.parametrize("which", ["held", "other post", "missing"])
def test_it_refuses_a_reply_to_a_comment_not_shown_on_this_post(
    cast: Cast, post: Post, which: str
) -> None:
    other = published_post(cast.ben, title="Another")
    if which == "held":
        target = visitor_comment(post).pk
    elif which == "other post":
        target = comment_submit(post=other, body="x", address=ADDRESS, user=cast.ben).pk
    else:
        target = 999_999

    refused(
        lambda: comment_submit(**form(post, parent_id=target)), ValidationFailed, "invalid_parent"
    )


# --- Refusals: each one clear, none leaving anything behind ------------------------


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"name": "  "}, "required", "name"),
        ({"name": "x" * 101}, "too_long", "name"),
        ({"email": ""}, "required", "email"),
        ({"email": "not-an-address"}, "invalid_email", "email"),
        ({"website": "javascript:alert(1)"}, "invalid_website", "website"),
        ({"website": "ftp://example.org"}, "invalid_website", "website"),
        ({"body": "   "}, "empty_comment", "body"),
        ({"body": "<script>alert(1)</script>"}, "empty_comment", "body"),
        ({"body": "x" * 5_001}, "too_long", "body"),
        (
            {"body": "See https://a.example, https://b.example and www.c.example"},
            "too_many_links",
            "body",
        ),
        ({"name": "Ro\x00sa"}, "invalid_characters", "name"),
        ({"email": "rosa\x00@example.net"}, "invalid_characters", "email"),
        ({"website": "https://a.example/\x00"}, "invalid_characters", "website"),
        ({"body": "half \udc00 a pair"}, "invalid_characters", "body"),
        ({"answer": "12345"}, "wrong_answer", "answer"),
        ({"answer": ""}, "challenge_missing", "answer"),
        ({"challenge": ""}, "challenge_missing", "answer"),
        ({"challenge": "forged:token"}, "challenge_invalid", "answer"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message_and_stores_nothing(
    post: Post, fields: dict[str, Any], code: str, field: str
) -> None:
    error = refused(lambda: comment_submit(**form(post, **fields)), ValidationFailed, code)

    assert error.field == field
    assert str(error)


def test_a_filled_honeypot_is_refused(post: Post) -> None:
    error = refused(
        lambda: comment_submit(**form(post, honeypot="http://spam.example")),
        ValidationFailed,
        "honeypot",
    )
    assert "automated" in str(error)


def test_two_links_are_allowed_and_one_url_counts_once(post: Post) -> None:
    body = '<a href="https://a.example">https://a.example</a> and <a href="mailto:x@y.z">me</a>'

    comment = comment_submit(**form(post, body=body))

    assert comment.body.count("<a ") == 2


def test_a_nul_in_a_comments_html_is_dropped_as_a_browser_would(post: Post) -> None:
    comment = comment_submit(**form(post, body="<scri\x00pt>alert(1)</scri\x00pt>ok"))

    assert "\x00" not in comment.body
    assert "<script" not in comment.body


def test_a_javascript_link_is_cleaned_not_stored(post: Post) -> None:
    comment = comment_submit(**form(post, body='<a href="javascript:alert(1)">click</a> me'))

    assert "javascript" not in comment.body
    assert comment.body == '<a rel="nofollow ugc noopener noreferrer">click</a> me'


def test_a_wrong_answer_spends_the_question(post: Post) -> None:
    fields = form(post)  # with the right answer
    refused(lambda: comment_submit(**dict(fields, answer="99")), ValidationFailed, "wrong_answer")

    # The right answer cannot be tried on that question any more.
    refused(lambda: comment_submit(**fields), ValidationFailed, "challenge_used")
    assert SpentChallenge.objects.count() == 1


def test_a_right_answer_cannot_be_used_twice(post: Post) -> None:
    fields = form(post)
    comment_submit(**fields)

    refused(
        lambda: comment_submit(**dict(fields, body="Again")), ValidationFailed, "challenge_used"
    )


def test_a_refusal_for_something_else_keeps_the_question(post: Post) -> None:
    fields = form(post, email="nope")
    refused(lambda: comment_submit(**fields), ValidationFailed, "invalid_email")

    assert comment_submit(**dict(fields, email="rosa@example.net")).pk


def test_an_expired_question_is_refused(post: Post) -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(hours=2), tick=False):
        fields = form(post)

    refused(lambda: comment_submit(**fields), ValidationFailed, "challenge_expired")


def test_the_rate_limit_counts_comments_from_one_address(cast: Cast, post: Post) -> None:
    for n in range(5):
        comment_submit(post=post, body=f"Comment {n}", address=ADDRESS, user=cast.ben)
    fields = form(post)

    error = refused(lambda: comment_submit(**fields), TooManyAttempts, "rate_limited")

    assert error.status == 429
    # Refused before the question was spent: the visitor may answer it later.
    assert SpentChallenge.objects.count() == 0
    assert comment_submit(**dict(fields, address="198.51.100.9")).pk  # another address


def test_the_rate_limit_window_passes(cast: Cast, post: Post) -> None:
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=11), tick=False):
        for n in range(5):
            comment_submit(post=post, body=f"Comment {n}", address=ADDRESS, user=cast.ben)

    assert comment_submit(**form(post)).pk


def test_it_refuses_comments_on_a_draft_or_a_scheduled_post(cast: Cast) -> None:
    draft = published_post(cast.ana, status=Post.Status.DRAFT, published_at=None)
    later = published_post(cast.ana, published_at=timezone.now() + dt.timedelta(days=1))

    refused(lambda: comment_submit(**form(draft)), NotFound, "not_found")
    refused(lambda: comment_submit(**form(later)), NotFound, "not_found")


def test_it_refuses_comments_when_they_are_closed(cast: Cast) -> None:
    post = published_post(cast.ana, comments_open=False)

    refused(lambda: comment_submit(**form(post)), Conflict, "comments_closed")


# --- The author hears of it, after commit -------------------------------------------


def test_the_author_is_emailed_after_commit_without_the_commenters_address(
    cast: Cast, post: Post, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        comment_submit(**form(post, email="secret.reader@example.net"))
    assert mail.outbox == []  # nothing before the commit

    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.ana.email]
    assert "awaiting moderation" in message.subject
    assert "Thank you, this helped." in message.body
    assert "/blog/moderation/" in message.body
    assert "secret.reader@example.net" not in message.body


def test_no_email_for_a_refused_comment_or_the_authors_own(
    cast: Cast, post: Post, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationFailed):
            comment_submit(**form(post, body=""))
        comment_submit(post=post, body="My own note.", address=ADDRESS, user=cast.ana)

    assert (callbacks, mail.outbox) == ([], [])


# --- Moderation -----------------------------------------------------------------------


def test_the_author_approves_marks_spam_trashes_and_holds_again(cast: Cast, post: Post) -> None:
    comment = visitor_comment(post)

    for action, status in [
        ("approve", "approved"),
        ("unapprove", "pending"),
        ("spam", "spam"),
        ("trash", "trash"),
    ]:
        comment = comment_moderate(comment=comment, moderator=cast.ana, action=action)
        assert comment.status == status
        assert comment.moderated_by == cast.ana


def test_doing_it_twice_changes_nothing_more(cast: Cast, post: Post) -> None:
    comment = visitor_comment(post)
    comment_moderate(comment=comment, moderator=cast.ana, action="approve")
    first = Comment.objects.get(pk=comment.pk).moderated_at

    again = comment_moderate(comment=comment, moderator=cast.ana, action="approve")

    assert again.moderated_at == first


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_the_author_and_the_collectives_coordinators_moderate(
    cast: Cast, post: Post, who: str
) -> None:
    comment = visitor_comment(post)

    with pytest.raises(PermissionDenied) as caught:
        comment_moderate(comment=comment, moderator=getattr(cast, who), action="approve")

    assert caught.value.code == "not_moderator"
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.PENDING


def test_a_coordinator_moderates_a_post_written_for_the_collective(cast: Cast) -> None:
    post = published_post(cast.ben, collective=cast.collective_a)
    comment = visitor_comment(post)

    assert comment_moderate(comment=comment, moderator=cast.ana, action="approve").status == (
        Comment.Status.APPROVED
    )


def test_it_refuses_an_unknown_action(cast: Cast, post: Post) -> None:
    comment = visitor_comment(post)

    with pytest.raises(ValidationFailed) as caught:
        comment_moderate(comment=comment, moderator=cast.ana, action="delete")

    assert caught.value.code == "invalid_action"


def test_a_moderator_edits_and_the_edit_is_cleaned_too(cast: Cast, post: Post) -> None:
    comment = visitor_comment(post)

    edited = comment_edit(
        comment=comment,
        moderator=cast.ana,
        name="Rosa M.",
        website="https://rosa.example",
        body='Fixed <img src=x onerror="alert(1)">typo',
    )

    assert (edited.name, edited.website, edited.body) == (
        "Rosa M.",
        "https://rosa.example",
        "Fixed typo",
    )
    assert edited.edited_at is not None


def test_an_edit_by_someone_else_or_to_nothing_is_refused(cast: Cast, post: Post) -> None:
    comment = visitor_comment(post)

    with pytest.raises(PermissionDenied):
        comment_edit(comment=comment, moderator=cast.olga, name="X", body="spam")
    with pytest.raises(ValidationFailed) as caught:
        comment_edit(comment=comment, moderator=cast.ana, name="Rosa", body="<script></script>")

    assert caught.value.code == "empty_comment"
    assert Comment.objects.get(pk=comment.pk).body == "Thank you, this helped."


# --- Who is trusted, and how addresses are counted -----------------------------------


def test_a_visitor_typing_a_members_email_is_held_however_trusted_the_member(
    cast: Cast, post: Post
) -> None:
    # given: Ben (a member) has an approved comment, made signed in
    comment_submit(post=post, body="Signed in.", address=ADDRESS, user=cast.ben)
    comment_moderate(comment=Comment.objects.get(), moderator=cast.ana, action="approve")

    # when: a visitor types Ben's name and address
    comment = comment_submit(**form(post, name="Ben Okafor", email="BEN@example.org"))

    # then: held; Ben himself, signed in, is published at once
    assert comment.status == Comment.Status.PENDING
    signed_in = comment_submit(post=post, body="Me again.", address=ADDRESS, user=cast.ben)
    assert signed_in.status == Comment.Status.APPROVED


def test_a_visitor_is_trusted_under_the_same_name_and_email_only(cast: Cast, post: Post) -> None:
    first = comment_submit(**form(post))
    comment_moderate(comment=first, moderator=cast.ana, action="approve")

    other_name = comment_submit(**form(post, name="Someone Else", body="Hi."))
    same = comment_submit(**form(post, name="ROSA", body="Hello again."))

    assert (other_name.status, same.status) == (Comment.Status.PENDING, Comment.Status.APPROVED)


@pytest.mark.parametrize(
    "email", ['"?cc=a@evil.example&body=hi"@example.com', '"rosa"@example.net']
)
def test_a_quoted_email_is_refused(post: Post, email: str) -> None:
    error = refused(
        lambda: comment_submit(**form(post, email=email)), ValidationFailed, "invalid_email"
    )
    assert error.field == "email"


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),  # one /64
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("203.0.113.7", "::ffff:203.0.113.7", True),  # IPv4 written as IPv6
        ("203.0.113.7", "203.0.113.8", False),
    ],
)
def test_addresses_are_counted_by_ipv4_address_or_ipv6_network(
    one: str, other: str, same: bool
) -> None:
    assert (address_digest(one) == address_digest(other)) is same
    assert one not in address_digest(one)


def test_the_rate_limit_counts_a_whole_ipv6_network(cast: Cast, post: Post) -> None:
    for n in range(5):
        comment_submit(
            post=post, body=f"Comment {n}", address=f"2001:db8:1:2::{n + 1}", user=cast.ben
        )

    refused(
        lambda: comment_submit(**form(post, address="2001:db8:1:2::99")),
        TooManyAttempts,
        "rate_limited",
    )
