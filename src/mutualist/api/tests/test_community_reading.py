"""Reading the blog through the API: posts, a post, its approved comments,
the tags. Anyone may; drafts and scheduled posts only their author; a
commenter's email address never, whoever asks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mutualist.api.tests.support import assert_problem, bearer_client
from mutualist.api.tests.test_community_support import (
    API,
    PIA_EMAIL,
    ROSA_EMAIL,
    approved,
    comment_url,
    draft_post,
    post_url,
    published_post,
    visitor_comment,
)
from mutualist.community.models import Post
from mutualist.community.services.comments import comment_submit
from mutualist.members.models import Profile
from mutualist.testing import Cast

# Times go out to the millisecond.
MILLISECOND = dt.timedelta(milliseconds=1)


@pytest.fixture
def blog(cast: Cast) -> dict[str, Any]:
    """Ana's post (yesterday), Ben's post for collective A (two days ago),
    Ben's draft, Ana's post scheduled for tomorrow; on Ana's post an approved
    visitor's comment, a member's reply, and a comment held for moderation."""
    now = timezone.now()
    ana_post = published_post(
        cast.ana, excerpt="Three shifts, one team.", tags=["time zones", "Clients"]
    )
    ben_post = published_post(
        cast.ben,
        title="Our first month as a collective",
        body="It went well.",
        tags=["collectives"],
        collective=cast.collective_a,
        published_at=now - dt.timedelta(days=2),
    )
    draft = draft_post(cast.ben, title="Secret plans", tags=["drafts only"])
    scheduled = published_post(
        cast.ana, title="Coming soon", tags=["later"], published_at=now + dt.timedelta(days=1)
    )
    rosa = approved(visitor_comment(ana_post), by=cast.ana)
    reply = approved(
        comment_submit(
            post=ana_post,
            body="Glad it <b>helped</b>!",
            address="198.51.100.2",
            parent_id=rosa.pk,
            user=cast.carla,
        ),
        by=cast.ana,
    )
    held = visitor_comment(ana_post, name="Pia", email=PIA_EMAIL, body="Held back for now.")
    return {
        "ana_post": ana_post,
        "ben_post": ben_post,
        "draft": draft,
        "scheduled": scheduled,
        "rosa": rosa,
        "reply": reply,
        "held": held,
    }


def slugs(response: Any) -> list[str]:
    return [item["slug"] for item in response.json()["items"]]


# --- The list ------------------------------------------------------------------------


def test_anyone_lists_the_published_posts_newest_first(blog):
    response = Client().get(f"{API}/blog/posts")

    assert response.status_code == 200
    body = response.json()
    assert slugs(response) == [blog["ana_post"].slug, blog["ben_post"].slug]
    assert (body["count"], body["limit"], body["offset"]) == (2, 20, 0)


def test_a_listed_post_has_its_byline_tags_and_comment_count(blog, cast):
    ana_post = blog["ana_post"]

    item = Client().get(f"{API}/blog/posts").json()["items"][0]

    assert item == {
        "title": "Covering Sydney's mornings from Manila",
        "slug": "covering-sydneys-mornings-from-manila",
        "url": post_url("covering-sydneys-mornings-from-manila"),
        "status": "published",
        "excerpt": "Three shifts, one team.",
        "tags": [
            {"name": "Clients", "slug": "clients"},
            {"name": "time zones", "slug": "time-zones"},
        ],
        "author": {"display_name": "Ana Reyes", "handle": cast.ana.profile.handle},
        "collective": None,
        "published_at": item["published_at"],
        "comment_count": 2,  # Rosa's and Carla's reply; Pia's is held
    }
    assert (
        abs(dt.datetime.fromisoformat(item["published_at"]) - ana_post.published_at) < MILLISECOND
    )


def test_a_post_without_a_summary_shows_the_start_of_its_body_as_text(blog):
    item = Client().get(f"{API}/blog/posts").json()["items"][1]

    assert item["excerpt"] == "It went well."
    assert item["collective"] == {"slug": "manila-va", "name": "Manila Virtual Assistants"}


def test_the_list_narrows_to_a_tag_or_a_collective(blog):
    client = Client()

    by_tag = client.get(f"{API}/blog/posts?tag=clients")
    by_collective = client.get(f"{API}/blog/posts?collective=manila-va")
    both = client.get(f"{API}/blog/posts?tag=clients&collective=manila-va")

    assert slugs(by_tag) == [blog["ana_post"].slug]
    assert slugs(by_collective) == [blog["ben_post"].slug]
    assert slugs(both) == []


@pytest.mark.parametrize(
    "query", ["tag=no-such-tag", "collective=no-such-collective", "tag=drafts-only", "tag=later"]
)
def test_a_filter_naming_nothing_public_leaves_the_list_empty(blog, query):
    response = Client().get(f"{API}/blog/posts?{query}")

    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0, "limit": 20, "offset": 0}


def test_the_list_pages_like_every_list(blog):
    response = Client().get(f"{API}/blog/posts?limit=1&offset=1")

    assert slugs(response) == [blog["ben_post"].slug]
    assert response.json()["count"] == 2


def test_a_page_size_beyond_the_limit_is_refused(blog):
    assert_problem(Client().get(f"{API}/blog/posts?limit=1000"), 422, "validation_failed")


def test_an_unpublished_author_is_shown_by_name_without_a_handle(blog, cast):
    Profile.objects.filter(user=cast.ana).update(is_public=False)

    item = Client().get(f"{API}/blog/posts").json()["items"][0]

    assert item["author"] == {"display_name": "Ana Reyes", "handle": None}


def test_a_bad_token_is_refused_even_on_the_public_list(blog):
    response = Client(headers={"Authorization": "Bearer mut_nope"}).get(f"{API}/blog/posts")

    assert_problem(response, 401, "not_authenticated")


# --- One post ------------------------------------------------------------------------


def test_anyone_reads_a_post_with_its_markdown_and_its_sanitized_html(blog, cast):
    post = blog["ana_post"]
    post.body = "# Shifts\n\nWe split the day in **three**. <script>alert(1)</script> [x](javascript:alert(1)) [us](https://example.org)"
    post.save()

    response = Client().get(f"{API}/blog/posts/{post.slug}")

    assert response.status_code == 200
    body = response.json()
    assert body["body"] == post.body
    assert body["body_html"] == (
        "<h2>Shifts</h2>\n<p>We split the day in <strong>three</strong>. "
        "&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1)) "
        '<a href="https://example.org" rel="noopener noreferrer">us</a></p>\n'
    )
    assert "<script" not in body["body_html"]
    assert {key: body[key] for key in ("title", "slug", "url", "status", "comments_open")} == {
        "title": post.title,
        "slug": post.slug,
        "url": post_url(post.slug),
        "status": "published",
        "comments_open": True,
    }
    assert body["comment_count"] == 2
    assert body["tags"] == [
        {"name": "Clients", "slug": "clients"},
        {"name": "time zones", "slug": "time-zones"},
    ]
    assert body["author"] == {"display_name": "Ana Reyes", "handle": cast.ana.profile.handle}
    updated_at = Post.objects.get(pk=post.pk).updated_at
    assert abs(dt.datetime.fromisoformat(body["updated_at"]) - updated_at) < MILLISECOND


def test_a_draft_is_not_found_for_anyone_but_its_author(blog, cast):
    path = f"{API}/blog/posts/{blog['draft'].slug}"

    assert_problem(Client().get(path), 404, "not_found")
    assert_problem(bearer_client(cast.ana).get(path), 404, "not_found")
    assert_problem(bearer_client(cast.carla).get(path), 404, "not_found")
    own = bearer_client(cast.ben).get(path)
    assert own.status_code == 200
    assert own.json()["status"] == "draft"
    assert own.json()["published_at"] is None


def test_a_scheduled_post_is_not_found_until_its_date_but_its_author_previews_it(blog, cast):
    path = f"{API}/blog/posts/{blog['scheduled'].slug}"

    assert_problem(Client().get(path), 404, "not_found")
    assert bearer_client(cast.ana).get(path).json()["status"] == "published"


def test_an_unknown_post_is_not_found(blog):
    body = assert_problem(Client().get(f"{API}/blog/posts/no-such-post"), 404, "not_found")

    assert body["detail"] == "No such post."


# --- Its comments --------------------------------------------------------------------


def test_anyone_reads_a_posts_approved_comments_oldest_first(blog):
    rosa, reply = blog["rosa"], blog["reply"]

    response = Client().get(f"{API}/blog/posts/{blog['ana_post'].slug}/comments")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["items"]
    assert first == {
        "id": rosa.pk,
        "parent_id": None,
        "name": "Rosa",
        "website": "",
        "body_html": "Thank you, this helped.",
        "by_member": False,
        "by_author": False,
        "created_at": first["created_at"],
        "url": comment_url(rosa.pk),
    }
    assert second == {
        "id": reply.pk,
        "parent_id": rosa.pk,
        "name": "Carla Mwangi",
        "website": "",
        "body_html": "Glad it <b>helped</b>!",
        "by_member": True,
        "by_author": False,  # Carla answers Ana's post
        "created_at": second["created_at"],
        "url": comment_url(reply.pk),
    }


def test_a_held_comment_is_not_among_the_public_ones(blog):
    body = Client().get(f"{API}/blog/posts/{blog['ana_post'].slug}/comments").json()

    assert blog["held"].pk not in [item["id"] for item in body["items"]]


def test_the_comments_of_a_draft_are_not_found(blog):
    path = f"{API}/blog/posts/{blog['draft'].slug}/comments"

    assert_problem(Client().get(path), 404, "not_found")


# --- Tags ----------------------------------------------------------------------------


def test_anyone_lists_the_tags_of_published_posts_most_used_first(blog, cast):
    published_post(cast.carla, title="Clients who pay late", tags=["clients"])

    response = Client().get(f"{API}/blog/tags")

    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {"name": "Clients", "slug": "clients", "post_count": 2},
            {"name": "collectives", "slug": "collectives", "post_count": 1},
            {"name": "time zones", "slug": "time-zones", "post_count": 1},
        ],
        "count": 3,
        "limit": 20,
        "offset": 0,
    }


# --- Email addresses -----------------------------------------------------------------

PUBLIC_PATHS = [
    "/blog/posts",
    "/blog/posts?tag=time-zones",
    "/blog/posts/{ana_post}",
    "/blog/posts/{ana_post}/comments",
    "/blog/posts/{ben_post}",
    "/blog/tags",
]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
@pytest.mark.parametrize("who", ["anonymous", "carla", "ben"])
def test_no_public_answer_carries_a_commenters_email_address(blog, cast, path, who):
    # Carla commented herself, and Ben belongs to a collective that wrote a post:
    # neither sees anyone's address, nor even their own.
    client = Client() if who == "anonymous" else bearer_client(getattr(cast, who))
    url = API + path.format(ana_post=blog["ana_post"].slug, ben_post=blog["ben_post"].slug)

    response = client.get(url)

    assert response.status_code == 200
    raw = response.content.lower()
    for address in (
        ROSA_EMAIL,
        PIA_EMAIL,
        "carla@example.org",
        "ana@example.org",
        "ben@example.org",
    ):
        assert address.encode() not in raw
    assert b"@example." not in raw
    assert b'"email"' not in raw


def test_the_list_reads_the_same_few_rows_however_many_posts_it_shows(
    blog, cast, django_assert_num_queries
):
    client = Client()
    with django_assert_num_queries(3) as few:  # the posts, their count, their tags
        client.get(f"{API}/blog/posts")
    for n in range(5):
        published_post(cast.carla, title=f"More {n}", tags=[f"tag {n}", "clients"])

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(f"{API}/blog/posts")

    assert response.json()["count"] == 7
