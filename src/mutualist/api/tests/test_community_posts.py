"""Writing posts through the API: any member writes, on their own or for a
collective they belong to; only the author changes, deletes or previews a
post (anyone else: 404, as for no post at all)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mutualist.api.tests.support import assert_problem, bearer_client, post_json, put_json
from mutualist.api.tests.test_community_support import (
    API,
    approved,
    blog_state,
    draft_post,
    post_url,
    published_post,
    visitor_comment,
)
from mutualist.collectives.models import Membership
from mutualist.community.models import Comment, Post

POSTS = f"{API}/blog/posts"


def a_post(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Invoicing clients in three currencies",
        "body": "Start with **one** price list.",
        "excerpt": "How we price across currencies.",
        "tags": ["billing", "clients"],
        **fields,
    }


def refused(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    body = assert_problem(response, status, code)
    if field is not None:
        assert [error["field"] for error in body["errors"]] == [field]
    return body


def public_slugs() -> list[str]:
    return [item["slug"] for item in Client().get(POSTS).json()["items"]]


# --- Writing -------------------------------------------------------------------------


def test_an_anonymous_caller_must_log_in_to_write(cast):
    before = blog_state()

    refused(post_json(Client(), POSTS, a_post()), 401, "not_authenticated")
    assert blog_state() == before


def test_a_member_writes_a_draft_that_only_they_see(cast):
    response = post_json(bearer_client(cast.ben), POSTS, a_post())

    assert response.status_code == 201, response.content
    body = response.json()
    slug = "invoicing-clients-in-three-currencies"
    assert body == {
        "title": "Invoicing clients in three currencies",
        "slug": slug,
        "url": post_url(slug),
        "status": "draft",
        "excerpt": "How we price across currencies.",
        "tags": [{"name": "billing", "slug": "billing"}, {"name": "clients", "slug": "clients"}],
        "author": {"display_name": "Ben Okafor", "handle": cast.ben.profile.handle},
        "collective": None,
        "published_at": None,
        "comment_count": 0,
        "body": "Start with **one** price list.",
        "body_html": "<p>Start with <strong>one</strong> price list.</p>\n",
        "comments_open": True,
        "updated_at": body["updated_at"],
    }
    assert Post.objects.get().author == cast.ben
    assert public_slugs() == []


def test_a_member_publishes_for_their_collective_at_once(cast):
    response = post_json(
        bearer_client(cast.ben), POSTS, a_post(status="published", collective="manila-va")
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "published"
    assert body["collective"] == {"slug": "manila-va", "name": "Manila Virtual Assistants"}
    published_at = dt.datetime.fromisoformat(body["published_at"])
    assert abs(published_at - timezone.now()) < dt.timedelta(minutes=1)
    assert public_slugs() == [body["slug"]]


def test_a_post_dated_later_waits_for_its_date(cast):
    later = timezone.now() + dt.timedelta(days=3)

    response = post_json(
        bearer_client(cast.ben), POSTS, a_post(status="published", published_at=later.isoformat())
    )

    assert response.status_code == 201
    assert public_slugs() == []
    assert_problem(Client().get(f"{POSTS}/{response.json()['slug']}"), 404, "not_found")


def test_a_title_used_before_gets_a_slug_of_its_own(cast):
    published_post(cast.ana, title="Invoicing clients in three currencies")

    response = post_json(bearer_client(cast.ben), POSTS, a_post())

    assert response.json()["slug"] == "invoicing-clients-in-three-currencies-2"


@pytest.mark.parametrize(
    "fields,status,code,field",
    [
        ({"title": "  "}, 422, "required", "title"),
        ({"title": "t" * 201}, 422, "too_long", "title"),
        ({"body": ""}, 422, "required", "body"),
        ({"excerpt": "e" * 301}, 422, "too_long", "excerpt"),
        ({"tags": [f"tag {n}" for n in range(11)]}, 422, "too_many_tags", "tags"),
        ({"tags": ["!!!"]}, 422, "invalid_tag", "tags"),
        ({"tags": ["t" * 51]}, 422, "invalid_tag", "tags"),
        ({"status": "archived"}, 422, "invalid_status", "status"),
        ({"collective": "no-such-collective"}, 422, "unknown_collective", "collective"),
        # Carla's collective is B: she may not write for A.
        ({"collective": "manila-va"}, 422, "not_a_member", "collective"),
        ({"published_at": "2026-12-01T09:00:00"}, 422, "validation_failed", "published_at"),
        ({"author": 1}, 422, "validation_failed", "author"),
        ({"tags": "billing"}, 422, "validation_failed", "tags"),
    ],
)
def test_a_bad_post_is_refused_and_nothing_is_written(cast, fields, status, code, field):
    before = blog_state()

    response = post_json(bearer_client(cast.carla), POSTS, a_post(**fields))

    refused(response, status, code, field)
    assert blog_state() == before


EDGES_OF_THE_CALENDAR = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]


@pytest.mark.parametrize("published_at", EDGES_OF_THE_CALENDAR, ids=["year 1", "year 9999"])
@pytest.mark.parametrize("status", ["draft", "published"])
def test_a_publication_date_at_the_edge_of_the_calendar_is_refused(cast, published_at, status):
    # such a date overflowed on its way to UTC: a 500
    before = blog_state()

    response = post_json(
        bearer_client(cast.ben), POSTS, a_post(status=status, published_at=published_at)
    )

    refused(response, 422, "invalid_date", "published_at")
    assert blog_state() == before


@pytest.mark.parametrize("published_at", EDGES_OF_THE_CALENDAR, ids=["year 1", "year 9999"])
def test_a_change_to_a_date_at_the_edge_of_the_calendar_is_refused(cast, published_at):
    post = published_post(cast.ben)
    before = blog_state()

    response = put_json(
        bearer_client(cast.ben),
        f"{POSTS}/{post.slug}",
        a_post(status="published", published_at=published_at),
    )

    refused(response, 422, "invalid_date", "published_at")
    assert blog_state() == before


def test_a_member_who_left_a_collective_may_not_write_for_it(cast):
    Membership.objects.filter(user=cast.ben, collective=cast.collective_a).update(
        state=Membership.State.LEFT, left_at=timezone.now()
    )
    before = blog_state()

    response = post_json(bearer_client(cast.ben), POSTS, a_post(collective="manila-va"))

    body = refused(response, 422, "not_a_member", "collective")
    assert body["detail"] == (
        "You can write on behalf of a collective only while you are one of its members."
    )
    assert blog_state() == before


# --- Changing and deleting -----------------------------------------------------------


def test_the_author_replaces_a_post_and_its_slug_stays(cast):
    post = draft_post(cast.ben, tags=["old"])

    response = put_json(
        bearer_client(cast.ben),
        f"{POSTS}/{post.slug}",
        a_post(title="A new title", status="published", comments_open=False),
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["slug"], body["title"], body["status"], body["comments_open"]) == (
        post.slug,
        "A new title",
        "published",
        False,
    )
    assert [tag["slug"] for tag in body["tags"]] == ["billing", "clients"]
    assert public_slugs() == [post.slug]


def test_a_post_keeps_a_collective_its_author_has_since_left(cast):
    post = published_post(cast.ben, collective=cast.collective_a)
    Membership.objects.filter(user=cast.ben, collective=cast.collective_a).update(
        state=Membership.State.LEFT, left_at=timezone.now()
    )

    response = put_json(
        bearer_client(cast.ben),
        f"{POSTS}/{post.slug}",
        a_post(status="published", collective="manila-va"),
    )

    assert response.status_code == 200
    assert response.json()["collective"]["slug"] == "manila-va"


@pytest.mark.parametrize("who", ["ana", "carla", "olga"])
def test_no_one_but_the_author_changes_a_post(cast, who):
    # Ana coordinates the collective Ben wrote for: she moderates its
    # comments, but the words are Ben's.
    post = published_post(cast.ben, collective=cast.collective_a)
    before = blog_state()

    response = put_json(
        bearer_client(getattr(cast, who)), f"{POSTS}/{post.slug}", a_post(title="Taken over")
    )

    refused(response, 404, "not_found")
    assert blog_state() == before


def test_a_change_is_checked_like_a_new_post(cast):
    post = draft_post(cast.ben)
    before = blog_state()

    response = put_json(bearer_client(cast.ben), f"{POSTS}/{post.slug}", a_post(title=""))

    refused(response, 422, "required", "title")
    assert blog_state() == before


def test_the_author_deletes_a_post_and_its_comments(cast):
    post = published_post(cast.ben)
    approved(visitor_comment(post), by=cast.ben)
    visitor_comment(post, email="other@example.net")

    response = bearer_client(cast.ben).delete(f"{POSTS}/{post.slug}")

    assert response.status_code == 204
    assert (Post.objects.count(), Comment.objects.count()) == (0, 0)


@pytest.mark.parametrize("who", ["ana", "carla"])
def test_no_one_but_the_author_deletes_a_post(cast, who):
    post = published_post(cast.ben, collective=cast.collective_a)
    visitor_comment(post)
    before = blog_state()

    response = bearer_client(getattr(cast, who)).delete(f"{POSTS}/{post.slug}")

    refused(response, 404, "not_found")
    assert blog_state() == before


def test_an_anonymous_caller_deletes_nothing(cast):
    post = published_post(cast.ben)
    before = blog_state()

    refused(Client().delete(f"{POSTS}/{post.slug}"), 401, "not_authenticated")
    assert blog_state() == before


# --- Your posts ----------------------------------------------------------------------


def test_a_member_lists_their_own_posts_drafts_first(cast):
    older = published_post(
        cast.ben, title="Older", published_at=timezone.now() - dt.timedelta(days=9)
    )
    newer = published_post(cast.ben, title="Newer")
    draft = draft_post(cast.ben)
    published_post(cast.ana, title="Ana's")

    response = bearer_client(cast.ben).get(f"{API}/me/blog/posts")

    assert response.status_code == 200
    body = response.json()
    assert [item["slug"] for item in body["items"]] == [draft.slug, newer.slug, older.slug]
    assert [item["status"] for item in body["items"]] == ["draft", "published", "published"]
    assert body["count"] == 3


def test_someone_elses_posts_are_not_in_your_list(cast):
    draft_post(cast.ben)

    response = bearer_client(cast.olga).get(f"{API}/me/blog/posts")

    assert response.json() == {"items": [], "count": 0, "limit": 20, "offset": 0}


def test_an_anonymous_caller_has_no_posts_of_their_own(cast):
    refused(Client().get(f"{API}/me/blog/posts"), 401, "not_authenticated")
