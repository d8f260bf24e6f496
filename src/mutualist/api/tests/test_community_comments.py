"""Commenting through the API: an account is needed (a token or the browser
session), no arithmetic and no honeypot; the comment is held until its
author is trusted, cleaned like every comment, and refused with a clear code."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.support import assert_problem, bearer_client, post_json
from mutualist.api.tests.test_community_support import (
    API,
    approved,
    blog_state,
    comment_url,
    draft_post,
    published_post,
    visitor_comment,
)
from mutualist.community.models import Comment, Post
from mutualist.community.services.comments import comment_submit
from mutualist.testing import Cast


@pytest.fixture
def post(cast: Cast) -> Post:
    return published_post(cast.ana)


def comments_of(post: Post) -> str:
    return f"{API}/blog/posts/{post.slug}/comments"


def test_an_anonymous_caller_must_log_in_to_comment(post):
    # Django's test client skips the CSRF check; a real client without a
    # cookie is stopped by it first (the next test).
    before = blog_state()

    response = post_json(Client(), comments_of(post), {"body": "Hello"})

    assert_problem(response, 401, "not_authenticated")
    assert blog_state() == before


def test_a_caller_without_a_token_or_a_session_is_stopped_by_the_csrf_check(post, cast):
    # given: a client with no token and no cookie at all (curl, a script);
    # the API takes it for a browser session, whose unsafe requests need
    # the CSRF token, and it has none
    curl = Client(enforce_csrf_checks=True)
    held = visitor_comment(post)
    before = blog_state()

    # when / then: commenting, writing, changing, deleting, moderating: 403
    for response in [
        post_json(curl, comments_of(post), {"body": "Hello"}),
        post_json(curl, f"{API}/blog/posts", {"title": "T", "body": "B"}),
        curl.put(
            f"{API}/blog/posts/{post.slug}",
            json.dumps({"title": "T", "body": "B"}),
            content_type="application/json",
        ),
        curl.delete(f"{API}/blog/posts/{post.slug}"),
        post_json(curl, f"{API}/blog/comments/{held.pk}/moderation", {"action": "approve"}),
    ]:
        assert_problem(response, 403, "csrf_failed")
    # reading what is one's own: 401
    assert_problem(curl.get(f"{API}/me/blog/posts"), 401, "not_authenticated")
    assert_problem(curl.get(f"{API}/blog/moderation"), 401, "not_authenticated")
    assert blog_state() == before


def test_a_members_first_comment_is_held_for_moderation(post, cast):
    response = post_json(bearer_client(cast.ben), comments_of(post), {"body": "Nice <em>one</em>"})

    assert response.status_code == 201, response.content
    comment = Comment.objects.get()
    body = response.json()
    assert body == {
        "id": comment.pk,
        "post": post.slug,
        "parent_id": None,
        "name": "Ben Okafor",
        "website": "",
        "body_html": "Nice <em>one</em>",
        "status": "pending",
        "created_at": body["created_at"],
        "url": comment_url(comment.pk),
        "cleaned": False,
        "message": (
            "Thank you. Your comment is held for moderation: it will appear once the "
            "post's author or its collective's coordinators approve it."
        ),
    }
    assert (comment.status, comment.user, comment.email) == ("pending", cast.ben, "ben@example.org")
    assert comment.address_digest  # counted for the per-address limit
    assert b"ben@example.org" not in response.content


def test_a_member_with_an_approved_comment_is_published_at_once(post, cast):
    earlier = comment_submit(post=post, body="First", address="198.51.100.9", user=cast.ben)
    approved(earlier, by=cast.ana)

    response = post_json(bearer_client(cast.ben), comments_of(post), {"body": "Second"})

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["message"]) == ("approved", None)
    public = Client().get(comments_of(post)).json()
    assert [item["body_html"] for item in public["items"]] == ["First", "Second"]


def test_the_posts_author_is_published_at_once(post, cast):
    response = post_json(bearer_client(cast.ana), comments_of(post), {"body": "Thanks, all"})

    assert response.json()["status"] == "approved"


def test_a_logged_in_browser_comments_with_its_csrf_token(post, cast):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.carla, backend="django.contrib.auth.backends.ModelBackend")
    browser.get("/me/tokens/")  # a page that sets the CSRF cookie

    response = browser.post(
        comments_of(post),
        data=json.dumps({"body": "From the browser"}),
        content_type="application/json",
        headers={"X-CSRFToken": browser.cookies["csrftoken"].value},
    )

    assert response.status_code == 201, response.content
    assert Comment.objects.get().user == cast.carla


def test_a_browser_without_the_csrf_token_is_refused(post, cast):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.carla, backend="django.contrib.auth.backends.ModelBackend")

    response = post_json(browser, comments_of(post), {"body": "From the browser"})

    assert_problem(response, 403, "csrf_failed")
    assert Comment.objects.count() == 0


def test_a_member_may_sign_with_another_name_and_a_website(post, cast):
    response = post_json(
        bearer_client(cast.ben),
        comments_of(post),
        {"body": "Hi", "name": "  Ben from Lagos ", "website": "https://ben.example.com/"},
    )

    assert response.status_code == 201
    assert (response.json()["name"], response.json()["website"]) == (
        "Ben from Lagos",
        "https://ben.example.com/",
    )


def test_a_blank_name_stands_for_the_members_display_name(post, cast):
    response = post_json(bearer_client(cast.ben), comments_of(post), {"body": "Hi", "name": "  "})

    assert response.json()["name"] == "Ben Okafor"


def test_a_member_answers_an_approved_comment(post, cast):
    rosa = approved(visitor_comment(post), by=cast.ana)

    response = post_json(
        bearer_client(cast.ben), comments_of(post), {"body": "Agreed", "parent_id": rosa.pk}
    )

    assert response.status_code == 201
    assert response.json()["parent_id"] == rosa.pk
    assert Comment.objects.get(pk=response.json()["id"]).parent == rosa


def test_markup_beyond_the_allowed_list_is_removed(post, cast):
    response = post_json(
        bearer_client(cast.ben),
        comments_of(post),
        {
            "body": '<script>alert(1)</script><b onclick="x()">bold</b> '
            '<a href="javascript:alert(1)">link</a> <img src=x onerror=alert(1)>'
        },
    )

    assert response.status_code == 201
    assert (
        response.json()["body_html"]
        == '<b>bold</b> <a rel="nofollow ugc noopener noreferrer">link</a>'
    )
    assert Comment.objects.get().body == response.json()["body_html"]


def test_the_answer_says_when_some_of_the_html_was_removed(post, cast):
    response = post_json(
        bearer_client(cast.ben),
        comments_of(post),
        {"body": 'See <a href="javascript:alert(1)">this</a>, <p>please</p>.'},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["cleaned"] is True
    assert body["message"] == (
        "Thank you. Your comment is held for moderation: it will appear once the "
        "post's author or its collective's coordinators approve it. "
        "Some of your HTML was removed: only the allowed tags and attributes are kept "
        "(body_html is the comment as it is shown)."
    )


def test_a_published_comment_with_html_removed_says_only_that(post, cast):
    response = post_json(bearer_client(cast.ana), comments_of(post), {"body": "<p>Thanks</p>"})

    body = response.json()
    assert (body["status"], body["cleaned"]) == ("approved", True)
    assert body["message"] == (
        "Some of your HTML was removed: only the allowed tags and attributes are kept "
        "(body_html is the comment as it is shown)."
    )


@pytest.mark.parametrize(
    "text",
    [
        "3 < 4 & 5 > 2",
        '<a href="https://example.net/">a link</a> <b>left open',
        "<EM>Loud</EM> &amp; clear",
    ],
)
def test_nothing_is_said_when_cleaning_removed_nothing(post, cast, text):
    response = post_json(bearer_client(cast.ana), comments_of(post), {"body": text})

    body = response.json()
    assert (body["status"], body["cleaned"], body["message"]) == ("approved", False, None)


# --- Refusals ------------------------------------------------------------------------


def refused(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    body = assert_problem(response, status, code)
    if field is not None:
        assert [error["field"] for error in body["errors"]] == [field]
    return body


@pytest.mark.parametrize(
    "payload,status,code,field",
    [
        ({"body": ""}, 422, "empty_comment", "body"),
        ({"body": "<script>alert(1)</script>"}, 422, "empty_comment", "body"),
        ({"body": "x" * 5001}, 422, "too_long", "body"),
        (
            {"body": "https://a.example https://b.example https://c.example"},
            422,
            "too_many_links",
            "body",
        ),
        ({"body": "Hi", "website": "javascript:alert(1)"}, 422, "invalid_website", "website"),
        ({"body": "Hi", "website": "ftp://files.example"}, 422, "invalid_website", "website"),
        ({"body": "Hi", "name": "n" * 101}, 422, "too_long", "name"),
        # No honeypot, no question, no email: an account comments as itself.
        ({"body": "Hi", "honeypot": "x"}, 422, "validation_failed", "honeypot"),
        ({"body": "Hi", "answer": "7"}, 422, "validation_failed", "answer"),
        ({"body": "Hi", "email": "other@example.net"}, 422, "validation_failed", "email"),
        ({}, 422, "validation_failed", "body"),
        ({"body": "Hi", "parent_id": 2**70}, 422, "validation_failed", "parent_id"),
        ({"body": "Hi", "parent_id": "1"}, 422, "validation_failed", "parent_id"),
    ],
)
def test_a_bad_comment_is_refused_and_nothing_is_stored(post, cast, payload, status, code, field):
    before = blog_state()

    response = post_json(bearer_client(cast.ben), comments_of(post), payload)

    refused(response, status, code, field)
    assert blog_state() == before


def test_the_too_many_links_refusal_says_how_many(post, cast):
    response = post_json(
        bearer_client(cast.ben),
        comments_of(post),
        {"body": "https://a.example https://b.example https://c.example"},
    )

    assert response.json()["detail"] == (
        "A comment may have at most 2 links (this one has 3): links are how spam spreads."
    )


def test_a_reply_to_a_held_comment_is_refused(post, cast):
    held = visitor_comment(post)
    before = blog_state()

    response = post_json(
        bearer_client(cast.ben), comments_of(post), {"body": "Reply", "parent_id": held.pk}
    )

    body = refused(response, 422, "invalid_parent", "parent_id")
    assert body["detail"] == "You can only reply to a comment shown on this post."
    assert blog_state() == before


def test_a_reply_to_a_comment_of_another_post_is_refused(post, cast):
    other = published_post(cast.carla, title="Another post")
    elsewhere = approved(visitor_comment(other), by=cast.carla)
    before = blog_state()

    response = post_json(
        bearer_client(cast.ben), comments_of(post), {"body": "Reply", "parent_id": elsewhere.pk}
    )

    refused(response, 422, "invalid_parent", "parent_id")
    assert blog_state() == before


def test_a_post_closed_to_comments_refuses_them(cast):
    closed = published_post(cast.ana, comments_open=False)
    before = blog_state()

    response = post_json(bearer_client(cast.ben), comments_of(closed), {"body": "Hello"})

    body = refused(response, 409, "comments_closed")
    assert body["detail"] == "Comments on this post are closed."
    assert blog_state() == before


@pytest.mark.parametrize("who", ["ben", "carla"])
def test_a_draft_takes_no_comments_not_even_its_authors(cast, who):
    draft = draft_post(cast.ben)
    before = blog_state()

    response = post_json(bearer_client(getattr(cast, who)), comments_of(draft), {"body": "Hi"})

    refused(response, 404, "not_found")
    assert blog_state() == before


def test_an_unknown_post_takes_no_comments(cast):
    response = post_json(
        bearer_client(cast.ben), f"{API}/blog/posts/no-such-post/comments", {"body": "Hi"}
    )

    refused(response, 404, "not_found")
    assert Comment.objects.count() == 0


def test_too_many_comments_from_one_address_are_refused_for_a_while(post, cast, settings):
    settings.COMMUNITY_COMMENT_RATE_LIMIT = 2
    client = bearer_client(cast.ben)
    for n in range(2):
        assert post_json(client, comments_of(post), {"body": f"Comment {n}"}).status_code == 201
    before = blog_state()

    response = post_json(client, comments_of(post), {"body": "One more"})

    body = refused(response, 429, "rate_limited")
    assert body["detail"] == (
        "Too many comments from your address: please wait a few minutes (at most 2 in 10 minutes)."
    )
    assert blog_state() == before


def test_the_limit_counts_the_address_whoever_comments_from_it(post, cast, settings):
    # Every account behind one address shares its allowance.
    settings.COMMUNITY_COMMENT_RATE_LIMIT = 1
    assert (
        post_json(bearer_client(cast.ben), comments_of(post), {"body": "Mine"}).status_code == 201
    )

    response = post_json(bearer_client(cast.carla), comments_of(post), {"body": "Mine too"})

    refused(response, 429, "rate_limited")
    assert Comment.objects.count() == 1


def test_the_posts_author_is_told_by_email_once_the_comment_is_stored(
    post, cast, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(bearer_client(cast.ben), comments_of(post), {"body": "Nice one"})

    assert response.status_code == 201
    assert [message.to for message in mailoutbox] == [["ana@example.org"]]
    assert "ben@example.org" not in mailoutbox[0].body


def test_a_refused_comment_mails_no_one(post, cast, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(bearer_client(cast.ben), comments_of(post), {"body": ""})

    assert response.status_code == 422
    assert mailoutbox == []
