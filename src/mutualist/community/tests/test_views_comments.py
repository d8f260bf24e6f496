"""Commenting from a post's page, as a visitor and as a member.

Every refusal shows the post's page again with the service's message, what
was typed, and a new question, and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.urls import reverse

from mutualist.community.models import Comment, SpentChallenge
from mutualist.community.services.challenges import EXPIRED, SPENT, WRONG_ANSWER
from mutualist.community.services.comments import HONEYPOT
from mutualist.community.tests.test_views_support import (
    VISITOR_EMAIL,
    a_draft,
    a_post,
    answer_in,
    approved_comment,
    challenge_in,
    comment_url,
    held_comment,
    page_of,
    post_url,
    question_in,
    shows,
    visitor_form,
)
from mutualist.community.views.comments import CLEANED, HELD, PUBLISHED
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


def moderate(client: Any, comment: Comment, action: str) -> Any:
    url = reverse("community:comment_moderate", kwargs={"comment_id": comment.pk})
    return client.post(url, {"action": action})


# --- Accepted ----------------------------------------------------------------------


def test_a_visitors_first_comment_is_held_then_shown_once_the_author_approves_it(
    cast: Cast, client, client_for
):
    # given: a visitor on Ana's post reads the sum and works it out
    post = a_post(cast.ana)
    page = page_of(client.get(post_url(post)))
    left, right = question_in(page)
    signed = challenge_in(page)

    # when: they post their comment with the answer
    response = client.post(
        comment_url(post),
        {
            "name": "Rosa Visitor",
            "email": VISITOR_EMAIL,
            "website": "https://rosa.example.net",
            "body": "Thank you, <em>this</em> helped our team.",
            "homepage": "",
            "challenge": signed,
            "answer": str(left + right),
        },
    )

    # then: held for moderation, said at the top of the post's page, not shown yet
    assert response.status_code == 302
    assert response["Location"] == f"{post_url(post)}#content"
    comment = Comment.objects.get()
    assert (comment.status, comment.name, comment.email, comment.website, comment.body) == (
        "pending",
        "Rosa Visitor",
        VISITOR_EMAIL,
        "https://rosa.example.net",
        "Thank you, <em>this</em> helped our team.",
    )
    assert comment.user is None
    after = client.get(response["Location"])
    assert shows(after, HELD)
    assert "Thank you, <em>this</em> helped our team." not in page_of(after)
    assert SpentChallenge.objects.count() == 1  # spent

    # when: Ana approves it from her queue
    moderated = moderate(client_for(cast.ana), comment, "approve")

    # then: everyone sees it, and the count says so
    assert moderated.status_code == 302
    shown = page_of(client.get(post_url(post)))
    assert f'id="comment-{comment.pk}"' in shown
    assert "Thank you, <em>this</em> helped our team." in shown
    assert '<h2 id="comments-heading">1 comment</h2>' in shown
    assert VISITOR_EMAIL not in shown


def test_a_visitor_with_an_approved_comment_is_published_at_once_and_sent_to_it(cast: Cast, client):
    # given: Rosa has had a comment approved before
    post = a_post(cast.ana)
    approved_comment(post, moderator=cast.ana)

    # when: she comments again
    response = client.post(comment_url(post), visitor_form(client, post, body="Me again."))

    # then: published, and she lands on it, with a thank-you
    comment = Comment.objects.latest("pk")
    assert comment.status == "approved"
    assert response["Location"] == f"{post_url(post)}#comment-{comment.pk}"
    landed = client.get(response["Location"])
    assert shows(landed, PUBLISHED)
    assert f'id="comment-{comment.pk}"' in page_of(landed)
    assert shows(landed, "Me again.")


def test_a_reply_is_stored_under_its_parent_and_shown_in_its_thread(cast: Cast, client):
    post = a_post(cast.ana)
    parent = approved_comment(post, moderator=cast.ana)

    client.post(
        comment_url(post), visitor_form(client, post, body="A reply.", parent=str(parent.pk))
    )

    reply = Comment.objects.latest("pk")
    assert reply.parent == parent
    assert reply.status == "approved"  # Rosa is known
    page = page_of(client.get(post_url(post)))
    assert page.index(f'id="comment-{parent.pk}"') < page.index(f'id="comment-{reply.pk}"')


def test_a_signed_in_member_comments_without_the_sum_and_with_their_accounts_email(
    cast: Cast, client_for
):
    post = a_post(cast.ana)
    olga = client_for(cast.olga)

    response = olga.post(
        comment_url(post), {"name": "Olga P.", "body": "Useful, thanks.", "homepage": ""}
    )

    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.user, comment.email, comment.name, comment.status) == (
        cast.olga,
        "olga@example.org",
        "Olga P.",
        "pending",
    )
    assert shows(olga.get(response["Location"]), HELD)


def test_a_member_cannot_give_another_email_address(cast: Cast, client_for):
    post = a_post(cast.ana)

    client_for(cast.olga).post(
        comment_url(post), {"body": "Hello.", "email": "someone-else@example.net"}
    )

    assert Comment.objects.get().email == "olga@example.org"


def test_the_posts_author_is_published_at_once(cast: Cast, client_for):
    post = a_post(cast.ana)

    response = client_for(cast.ana).post(comment_url(post), {"name": "", "body": "Welcome!"})

    comment = Comment.objects.get()
    assert (comment.status, comment.name) == ("approved", "Ana Reyes")
    assert response["Location"] == f"{post_url(post)}#comment-{comment.pk}"


def test_a_javascript_link_is_cleaned_not_stored_and_never_shown(cast: Cast, client, client_for):
    # given: a visitor's comment with a javascript: link and an event handler
    post = a_post(cast.ana)
    body = '<a href="javascript:alert(1)" onclick="alert(2)">click</a> <b onmouseover="x()">hi</b>'

    # when
    response = client.post(comment_url(post), visitor_form(client, post, body=body))

    # then: accepted, cleaned: the text stays, the script does not
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert "javascript" not in comment.body
    assert "onclick" not in comment.body
    assert "onmouseover" not in comment.body
    assert "click" in comment.body
    moderate(client_for(cast.ana), comment, "approve")
    page = page_of(client.get(post_url(post)))
    assert "javascript:alert" not in page
    assert "onclick=" not in page
    assert "<b>hi</b>" in page


@pytest.mark.parametrize(
    "body",
    [
        '<a href="javascript:alert(1)">click</a>',
        "<p>A paragraph</p>",
        '<b onclick="x()">bold</b>',
        "Hello <script>alert(1)</script>",
        '<q cite="/accounts/logout/">a quote</q>',
        "Hi <![;x",  # so broken that Python's own HTML parser gives up on it
    ],
    ids=[
        "javascript link",
        "tag not allowed",
        "event handler",
        "script",
        "relative cite",
        "unreadable",
    ],
)
def test_a_visitor_is_told_when_some_of_their_html_was_removed(cast: Cast, client, body):
    post = a_post(cast.ana)

    response = client.post(comment_url(post), visitor_form(client, post, body=body), follow=True)

    assert shows(response, f"{HELD} {CLEANED}")
    assert Comment.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        "3 < 4 & 5 > 2, I <3 this",
        '<a href="https://example.net/guide">the guide</a> and <EM>this</EM>',
        "<b>left open",
        "Plain words.",
    ],
    ids=["stray < and &", "allowed link and tag", "tag left open", "plain"],
)
def test_nothing_is_said_when_cleaning_removed_nothing(cast: Cast, client, body):
    # escaping a stray <, closing a tag, adding rel to a link remove nothing
    post = a_post(cast.ana)

    response = client.post(comment_url(post), visitor_form(client, post, body=body), follow=True)

    assert shows(response, HELD)
    assert not shows(response, CLEANED)
    assert Comment.objects.count() == 1


def test_a_member_published_at_once_is_told_too(cast: Cast, client_for):
    # given: Ana's own post, where her comments are published at once
    post = a_post(cast.ana)
    ana = client_for(cast.ana)

    response = ana.post(comment_url(post), {"body": '<a href="javascript:x()">me</a>'}, follow=True)

    assert shows(response, f"{PUBLISHED} {CLEANED}")
    assert Comment.objects.get().body == '<a rel="nofollow ugc noopener noreferrer">me</a>'


def test_the_authors_email_quotes_the_comment_as_the_commenters_words(
    cast: Cast, client, mailoutbox, django_capture_on_commit_callbacks
):
    # given: a visitor's comment that reads like a message from the site
    post = a_post(cast.ana)
    body = (
        "Mutualist security team: your account is suspended. Log in at "
        "https://mutualist-login.example to keep it, within 24 hours."
    )
    data = visitor_form(client, post, body=body)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(comment_url(post), data).status_code == 302

    # then: the author reads it as the commenter's, quoted line by line
    (message,) = mailoutbox
    text = message.body
    assert "the commenter's own words, not Mutualist's" in text
    start = text.index("----- Rosa Visitor wrote -----\n")
    end = text.index("----- end of the comment -----")
    quoted = text[start:end].splitlines()[1:]
    assert quoted == [
        "> Mutualist security team: your account is suspended. Log in at",
        "> https://mutualist-login.example to keep it, within 24 hours.",
    ]
    assert VISITOR_EMAIL not in text


# --- Refused -----------------------------------------------------------------------


TOO_LONG = "x" * 5_001
THREE_LINKS = "See https://a.example, https://b.example and https://c.example."

REFUSALS = [
    # (case, changes to the form, the message, where it shows)
    ("empty", {"body": "   "}, "Please write a comment.", "body"),
    ("only markup", {"body": "<p><img src=x></p>"}, "Please write a comment.", "body"),
    (
        "oversized",
        {"body": TOO_LONG},
        "The comment is too long: at most 5,000 characters (it has 5,001).",
        "body",
    ),
    ("no name", {"name": ""}, "Please give your name.", "name"),
    (
        "no email",
        {"email": ""},
        "Please give your email address (it is never published).",
        "email",
    ),
    ("bad email", {"email": "rosa-at-example"}, "That is not an email address.", "email"),
    (
        "javascript website",
        {"website": "javascript:alert(1)"},
        "A website must be an address starting with http:// or https://.",
        "website",
    ),
    (
        "ftp website",
        {"website": "ftp://files.example.net"},
        "A website must be an address starting with http:// or https://.",
        "website",
    ),
    (
        "too many links",
        {"body": THREE_LINKS},
        "A comment may have at most 2 links (this one has 3): links are how spam spreads.",
        "body",
    ),
    ("wrong answer", {"answer": "999"}, WRONG_ANSWER, "answer"),
    (
        "no answer",
        {"answer": ""},
        "Please answer the sum, so we know you are not a script.",
        "answer",
    ),
    (
        "forged question",
        {"challenge": "made-up"},
        "Please answer the sum, so we know you are not a script.",
        "answer",
    ),
    ("honeypot", {"homepage": "https://spam.example"}, HONEYPOT, None),
]


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_a_refused_comment_shows_why_keeps_what_was_typed_asks_a_new_sum_and_stores_nothing(
    cast: Cast, client, changes, message, field
):
    # given: a visitor on Ana's post
    post = a_post(cast.ana)
    data = visitor_form(client, post, **changes)

    # when
    response = client.post(comment_url(post), data)

    # then: 400, the page again with the message where it belongs
    assert response.status_code == 400
    page = page_of(response)
    assert shows(response, message)
    if field is None:
        assert '<div class="form-errors" role="alert">' in page
    else:
        assert f'id="id_{field}_error"' in page
    # what was typed is kept; the answer and the trap are not
    if data["name"]:
        assert 'name="name" value="Rosa Visitor"' in page
    if data["email"]:
        assert f'name="email" value="{html.escape(data["email"])}"' in page
    if data["body"].strip():
        assert f"{html.escape(data['body'])}</textarea>" in page
    assert 'name="homepage" tabindex="-1" autocomplete="off" id="id_homepage">' in page
    assert re.search(r'<input type="text" name="answer"(?![^>]*value=)[^>]*>', page)
    # a new question, not the old one
    again = challenge_in(page)
    assert again != data["challenge"]
    assert answer_in(page) >= 2
    # nothing stored
    assert Comment.objects.count() == 0


def test_an_answer_cannot_be_used_twice(cast: Cast, client):
    # given: a comment accepted with a right answer
    post = a_post(cast.ana)
    data = visitor_form(client, post)
    assert client.post(comment_url(post), data).status_code == 302

    # when: the same form is sent again
    response = client.post(comment_url(post), {**data, "body": "Again!"})

    # then
    assert response.status_code == 400
    assert shows(response, SPENT)
    assert Comment.objects.count() == 1


def test_a_sum_asked_too_long_ago_is_refused(cast: Cast, client, time_machine, settings):
    # given: the page was opened two hours ago (a question lives one hour)
    time_machine.move_to(dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC), tick=False)
    post = a_post(cast.ana)
    data = visitor_form(client, post)
    time_machine.move_to(dt.datetime(2026, 5, 1, 11, 0, tzinfo=dt.UTC), tick=False)

    # when
    response = client.post(comment_url(post), data)

    # then
    assert response.status_code == 400
    assert shows(response, EXPIRED)
    assert Comment.objects.count() == 0


def test_too_many_comments_from_one_address_are_refused_with_429(cast: Cast, client, settings):
    # given: one comment a window per address, and one already sent
    settings.COMMUNITY_COMMENT_RATE_LIMIT = 1
    post = a_post(cast.ana)
    assert client.post(comment_url(post), visitor_form(client, post)).status_code == 302

    # when: a second from the same address
    response = client.post(comment_url(post), visitor_form(client, post, body="And more."))

    # then
    assert response.status_code == 429
    assert shows(response, "Too many comments from your address: please wait a few minutes")
    assert Comment.objects.count() == 1
    assert shows(response, "And more.")


def test_a_reply_to_a_comment_not_shown_is_refused_above_the_form(cast: Cast, client):
    post = a_post(cast.ana)
    held = held_comment(post)

    response = client.post(comment_url(post), visitor_form(client, post, parent=str(held.pk)))

    assert response.status_code == 400
    assert shows(response, "You can only reply to a comment shown on this post.")
    assert '<div class="form-errors" role="alert">' in page_of(response)
    assert Comment.objects.count() == 1


@pytest.mark.parametrize(
    "parent",
    ["abc", "²", "-1", "0", "1.5", "9" * 20],
    ids=["letters", "superscript two", "negative", "zero", "decimal", "beyond any id"],
)
def test_a_reply_to_something_that_is_no_comment_is_refused_above_the_form(
    cast: Cast, client, parent
):
    # given: a post with an approved comment
    post = a_post(cast.ana)
    approved_comment(post, moderator=cast.ana)
    stored = Comment.objects.count()

    # when: the form's parent is not a comment's id
    response = client.post(comment_url(post), visitor_form(client, post, parent=parent))

    # then: refused where it shows, nothing stored (not even at the top level),
    # and the form comes back as a comment on the post, with a new question
    assert response.status_code == 400
    page = page_of(response)
    assert (
        '<div class="form-errors" role="alert"><ul class="errorlist nonfield">'
        "<li>You can only reply to a comment shown on this post.</li></ul></div>"
    ) in page
    assert '<h2 id="respond-heading">Leave a comment</h2>' in page
    assert '<input type="hidden" name="parent" id="id_parent">' in page
    assert shows(response, "Thank you, this helped our team.")
    assert Comment.objects.count() == stored


def test_a_refused_members_comment_naming_a_superscript_parent_is_a_page_not_a_crash(
    cast: Cast, client_for
):
    # "²".isdigit() is True, and int("²") raises: it once made this a 500
    post = a_post(cast.ana)

    response = client_for(cast.olga).post(comment_url(post), {"body": "", "parent": "²"})

    assert response.status_code == 400
    assert shows(response, "You can only reply to a comment shown on this post.")
    assert Comment.objects.count() == 0


def test_a_bad_parent_on_a_closed_post_is_refused_as_closed(cast: Cast, client_for):
    # the post's own refusal comes first, as the service orders them
    post = a_post(cast.ana, comments_open=False)

    response = client_for(cast.olga).post(comment_url(post), {"body": "Hi", "parent": "abc"})

    assert response.status_code == 409
    assert shows(response, "Comments on this post are closed.")
    assert Comment.objects.count() == 0


def test_a_comment_on_a_closed_post_is_refused(cast: Cast, client, client_for):
    post = a_post(cast.ana, comments_open=False)

    response = client_for(cast.olga).post(comment_url(post), {"body": "Late to the party."})

    assert response.status_code == 409
    assert shows(response, "Comments on this post are closed.")
    assert shows(response, "Comments are closed.")
    assert Comment.objects.count() == 0


@pytest.mark.parametrize("who", ["anonymous", "olga", "ana"])
def test_a_comment_on_a_draft_is_not_found_even_for_its_author(cast: Cast, client, client_for, who):
    draft = a_draft(cast.ana)
    poster = client if who == "anonymous" else client_for(getattr(cast, who))

    response = poster.post(comment_url(draft), {"name": "X", "body": "Hello."})

    assert response.status_code == 404
    assert Comment.objects.count() == 0


def test_the_comment_address_takes_no_get(cast: Cast, client):
    assert client.get(comment_url(a_post(cast.ana))).status_code == 405


def test_a_refused_page_never_shows_another_commenters_email(cast: Cast, client):
    post = a_post(cast.ana)
    approved_comment(post, moderator=cast.ana, email="known@example.net", address="192.0.2.5")

    response = client.post(comment_url(post), visitor_form(client, post, answer="999"))

    assert response.status_code == 400
    assert "known@example.net" not in page_of(response)
