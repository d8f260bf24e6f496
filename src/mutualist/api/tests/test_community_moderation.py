"""Moderating through the API: a post's author, and the active coordinators
of the collective it was written for, see its comments with their email
addresses, and approve, hold, mark as spam, trash or correct them. To anyone
else a comment there is not found."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.support import assert_problem, bearer_client, post_json, put_json
from mutualist.api.tests.test_community_support import (
    API,
    PIA_EMAIL,
    ROSA_EMAIL,
    approved,
    blog_state,
    post_url,
    published_post,
    visitor_comment,
)
from mutualist.community.models import Comment
from mutualist.testing import Cast

QUEUE = f"{API}/blog/moderation"


@pytest.fixture
def blog(cast: Cast) -> dict[str, Any]:
    """Ana's own post with Rosa's held comment; Ben's post for collective A
    (which Ana coordinates) with Pia's held comment."""
    ana_post = published_post(cast.ana)
    ben_post = published_post(cast.ben, title="For the collective", collective=cast.collective_a)
    return {
        "ana_post": ana_post,
        "ben_post": ben_post,
        "rosa": visitor_comment(ana_post),
        "pia": visitor_comment(ben_post, name="Pia", email=PIA_EMAIL, body="Held."),
    }


def ids(response: Any) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def moderate(client: Client, comment: Comment, action: str) -> Any:
    return post_json(client, f"{API}/blog/comments/{comment.pk}/moderation", {"action": action})


# --- The queue -----------------------------------------------------------------------


def test_a_moderator_sees_the_held_comments_with_their_email(blog, cast):
    rosa, pia = blog["rosa"], blog["pia"]

    response = bearer_client(cast.ana).get(QUEUE)

    assert response.status_code == 200
    body = response.json()
    assert (ids(response), body["count"]) == ([rosa.pk, pia.pk], 2)
    item = body["items"][0]
    assert item == {
        "id": rosa.pk,
        "post": {
            "slug": blog["ana_post"].slug,
            "title": blog["ana_post"].title,
            "url": post_url(blog["ana_post"].slug),
        },
        "parent_id": None,
        "status": "pending",
        "name": "Rosa",
        "email": ROSA_EMAIL,
        "website": "",
        "body": "Thank you, this helped.",
        "body_html": "Thank you, this helped.",
        "by_member": False,
        "created_at": item["created_at"],
        "moderated_at": None,
        "edited_at": None,
    }


def test_an_author_sees_only_the_comments_on_their_own_posts(blog, cast):
    # Ben wrote for collective A but does not coordinate it: Ana's post is not his.
    response = bearer_client(cast.ben).get(QUEUE)

    assert ids(response) == [blog["pia"].pk]
    assert ROSA_EMAIL.encode() not in response.content


@pytest.mark.parametrize("who", ["carla", "olga"])
def test_anyone_else_has_an_empty_queue(blog, cast, who):
    response = bearer_client(getattr(cast, who)).get(QUEUE)

    assert response.json() == {"items": [], "count": 0, "limit": 20, "offset": 0}
    assert b"@example.net" not in response.content


def test_the_queue_shows_one_status_at_a_time(blog, cast):
    approved(blog["rosa"], by=cast.ana)

    client = bearer_client(cast.ana)

    assert ids(client.get(f"{QUEUE}?status=approved")) == [blog["rosa"].pk]
    assert ids(client.get(f"{QUEUE}?status=pending")) == [blog["pia"].pk]
    assert ids(client.get(f"{QUEUE}?status=spam")) == []


def test_an_unknown_status_is_refused(blog, cast):
    body = assert_problem(
        bearer_client(cast.ana).get(f"{QUEUE}?status=deleted"), 422, "validation_failed"
    )

    assert [error["field"] for error in body["errors"]] == ["status"]


def test_an_anonymous_caller_has_no_queue(blog):
    response = Client().get(QUEUE)

    assert_problem(response, 401, "not_authenticated")
    assert b"@example.net" not in response.content


# --- Deciding ------------------------------------------------------------------------


def test_the_author_approves_a_comment_and_it_is_published(blog, cast):
    rosa = blog["rosa"]

    response = moderate(bearer_client(cast.ana), rosa, "approve")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"], body["email"]) == (rosa.pk, "approved", ROSA_EMAIL)
    assert body["moderated_at"] is not None
    rosa.refresh_from_db()
    assert (rosa.status, rosa.moderated_by) == ("approved", cast.ana)
    public = Client().get(f"{API}/blog/posts/{blog['ana_post'].slug}/comments").json()
    assert [item["id"] for item in public["items"]] == [rosa.pk]


def test_the_collectives_coordinator_moderates_a_members_post(blog, cast):
    response = moderate(bearer_client(cast.ana), blog["pia"], "spam")

    assert response.json()["status"] == "spam"


@pytest.mark.parametrize(
    "action,status", [("spam", "spam"), ("trash", "trash"), ("unapprove", "pending")]
)
def test_an_approved_comment_may_be_taken_down(blog, cast, action, status):
    rosa = approved(blog["rosa"], by=cast.ana)

    response = moderate(bearer_client(cast.ana), rosa, action)

    assert response.json()["status"] == status
    public = Client().get(f"{API}/blog/posts/{blog['ana_post'].slug}/comments").json()
    assert public["items"] == []


def test_doing_what_is_done_already_changes_nothing(blog, cast):
    # Two moderators clicking "approve" at once both see what they wanted.
    approved(blog["rosa"], by=cast.ana)
    before = blog_state()

    response = moderate(bearer_client(cast.ana), blog["rosa"], "approve")

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert blog_state() == before


def test_an_unknown_action_is_refused(blog, cast):
    before = blog_state()

    response = moderate(bearer_client(cast.ana), blog["rosa"], "delete")

    body = assert_problem(response, 422, "invalid_action")
    assert body["detail"] == "Unknown action “delete”: one of approve, spam, trash, unapprove."
    assert [error["field"] for error in body["errors"]] == ["action"]
    assert blog_state() == before


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_no_one_else_moderates_a_comment(blog, cast, who):
    # Ben may moderate his own post's comments, not Ana's.
    before = blog_state()

    response = moderate(bearer_client(getattr(cast, who)), blog["rosa"], "approve")

    body = assert_problem(response, 404, "not_found")
    assert body["detail"] == "No such comment."
    assert ROSA_EMAIL not in response.content.decode()
    assert blog_state() == before


def test_an_anonymous_caller_moderates_nothing(blog):
    before = blog_state()

    assert_problem(moderate(Client(), blog["rosa"], "approve"), 401, "not_authenticated")
    assert blog_state() == before


@pytest.mark.parametrize("comment_id", ["0", "999999", str(2**70)])
def test_a_comment_that_does_not_exist_is_not_found(blog, cast, comment_id):
    client = bearer_client(cast.ana)

    moderated = post_json(
        client, f"{API}/blog/comments/{comment_id}/moderation", {"action": "approve"}
    )
    edited = put_json(client, f"{API}/blog/comments/{comment_id}", {"name": "x", "body": "x"})

    assert_problem(moderated, 404, "not_found")
    assert_problem(edited, 404, "not_found")


# --- Correcting ----------------------------------------------------------------------


def test_a_moderator_corrects_a_comment(blog, cast):
    rosa = blog["rosa"]

    response = put_json(
        bearer_client(cast.ana),
        f"{API}/blog/comments/{rosa.pk}",
        {
            "name": "Rosa M.",
            "website": "https://rosa.example.com",
            "body": 'Thanks! <a href="https://a.example">a</a> <a href="https://b.example">b</a> '
            '<a href="https://c.example">c</a><script>x</script>',
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    rel = 'rel="nofollow ugc noopener noreferrer"'
    assert body["body"] == (
        f'Thanks! <a href="https://a.example" {rel}>a</a> <a href="https://b.example" {rel}>b</a> '
        f'<a href="https://c.example" {rel}>c</a>'
    )
    assert (body["name"], body["website"], body["status"]) == (
        "Rosa M.",
        "https://rosa.example.com",
        "pending",
    )
    assert body["edited_at"] is not None
    rosa.refresh_from_db()
    assert (rosa.name, rosa.body) == ("Rosa M.", body["body"])


@pytest.mark.parametrize(
    "payload,code,field",
    [
        ({"name": "Rosa", "body": "<script>x</script>"}, "empty_comment", "body"),
        ({"name": "Rosa", "body": "x" * 5001}, "too_long", "body"),
        ({"name": " ", "body": "Fine"}, "required", "name"),
        ({"name": "Rosa", "body": "Fine", "website": "javascript:x"}, "invalid_website", "website"),
        ({"name": "Rosa"}, "validation_failed", "body"),
        ({"name": "Rosa", "body": "Fine", "email": "x@example.net"}, "validation_failed", "email"),
    ],
)
def test_a_bad_correction_is_refused(blog, cast, payload, code, field):
    before = blog_state()

    response = put_json(bearer_client(cast.ana), f"{API}/blog/comments/{blog['rosa'].pk}", payload)

    body = assert_problem(response, 422, code)
    assert [error["field"] for error in body["errors"]] == [field]
    assert blog_state() == before


@pytest.mark.parametrize("who", ["ben", "carla"])
def test_no_one_else_corrects_a_comment(blog, cast, who):
    before = blog_state()

    response = put_json(
        bearer_client(getattr(cast, who)),
        f"{API}/blog/comments/{blog['rosa'].pk}",
        {"name": "Vandal", "body": "Rewritten"},
    )

    assert_problem(response, 404, "not_found")
    assert blog_state() == before
