"""post_create, post_update, post_delete: who writes what, and what is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from mutualist.collectives.models import Membership
from mutualist.community.models import Post, Tag
from mutualist.community.services.posts import post_create, post_delete, post_update
from mutualist.community.tests.helpers import published_post
from mutualist.core.errors import PermissionDenied, ValidationFailed
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def test_a_member_publishes_a_post_now_with_a_slug_and_tags(cast: Cast) -> None:
    with time_machine.travel(NOW, tick=False):
        post = post_create(
            author=cast.ana,
            title="  Pricing a   team pitch ",
            body="# Why\n\nBecause.",
            tags=["Pricing", "pricing", "#Pitches", " "],
            status=Post.Status.PUBLISHED,
        )

    assert post.title == "Pricing a team pitch"
    assert post.slug == "pricing-a-team-pitch"
    assert post.published_at == NOW
    assert sorted(t.name for t in post.tags.all()) == ["Pitches", "Pricing"]


def test_a_second_post_of_the_same_title_gets_its_own_slug(cast: Cast) -> None:
    first = published_post(cast.ana, title="Hello")
    second = published_post(cast.ben, title="Hello")

    assert (first.slug, second.slug) == ("hello", "hello-2")


@pytest.mark.parametrize("title", ["Write", "Feed", "Moderation", "Mine", "Tags"])
def test_a_title_that_would_shadow_a_blog_page_gets_a_suffix(cast: Cast, title: str) -> None:
    assert published_post(cast.ana, title=title).slug == f"{title.lower()}-2"


def test_tags_are_shared_between_posts(cast: Cast) -> None:
    published_post(cast.ana, tags=["Sick pay"])
    published_post(cast.ben, tags=["sick pay"], title="Other")

    assert Tag.objects.filter(slug="sick-pay").count() == 1


def test_a_member_writes_on_behalf_of_their_collective(cast: Cast) -> None:
    post = published_post(cast.ben, collective=cast.collective_a)

    assert post.collective == cast.collective_a


@pytest.mark.parametrize("who", ["olga", "carla"])
def test_it_refuses_writing_for_a_collective_one_does_not_belong_to(cast: Cast, who: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        published_post(getattr(cast, who), collective=cast.collective_a)

    assert (caught.value.code, caught.value.field) == ("not_a_member", "collective")
    assert Post.objects.count() == 0


def test_a_member_who_left_can_no_longer_write_for_the_collective(cast: Cast) -> None:
    Membership.objects.filter(user=cast.ben).update(
        state=Membership.State.LEFT, left_at=timezone.now()
    )

    with pytest.raises(ValidationFailed):
        published_post(cast.ben, collective=cast.collective_a)


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"title": " "}, "required", "title"),
        ({"title": "x" * 201}, "too_long", "title"),
        ({"body": "\n\n"}, "required", "body"),
        ({"body": "x" * 100_001}, "too_long", "body"),
        ({"excerpt": "x" * 301}, "too_long", "excerpt"),
        ({"tags": ["x" * 51]}, "invalid_tag", "tags"),
        ({"tags": ["!!!"]}, "invalid_tag", "tags"),
        ({"tags": [f"t{n}" for n in range(11)]}, "too_many_tags", "tags"),
        ({"status": "archived"}, "invalid_status", "status"),
        ({"title": "Nul\x00"}, "invalid_characters", "title"),
        ({"body": "half \ud800 a pair"}, "invalid_characters", "body"),
        ({"excerpt": "\x00"}, "invalid_characters", "excerpt"),
        ({"tags": ["a\x00b"]}, "invalid_characters", "tags"),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(
    cast: Cast, fields: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        published_post(cast.ana, **fields)

    assert (caught.value.code, caught.value.field) == (code, field)
    assert (Post.objects.count(), Tag.objects.count()) == (0, 0)


def test_a_draft_has_no_date_until_published_and_keeps_its_slug(cast: Cast) -> None:
    draft = post_create(author=cast.ana, title="Notes", body="Soon.")
    assert (draft.status, draft.published_at) == (Post.Status.DRAFT, None)

    with time_machine.travel(NOW, tick=False):
        post = post_update(
            post=draft,
            editor=cast.ana,
            title="Final notes",
            body="Now.",
            tags=["a"],
            status=Post.Status.PUBLISHED,
        )

    assert (post.slug, post.title, post.published_at) == ("notes", "Final notes", NOW)
    assert [t.name for t in post.tags.all()] == ["a"]


def test_republishing_keeps_the_first_date(cast: Cast) -> None:
    post = published_post(cast.ana)
    first = post.published_at

    post = post_update(
        post=post, editor=cast.ana, title="New title", body="x", status=Post.Status.PUBLISHED
    )

    assert post.published_at == first


def test_only_the_author_edits_or_deletes(cast: Cast) -> None:
    post = published_post(cast.ana)

    with pytest.raises(PermissionDenied) as caught:
        post_update(post=post, editor=cast.ben, title="Mine now", body="x")
    assert caught.value.code == "not_author"
    with pytest.raises(PermissionDenied):
        post_delete(post=post, actor=cast.ben)

    post.refresh_from_db()
    assert post.title == "Covering Sydney's mornings from Manila"
    post_delete(post=post, actor=cast.ana)
    assert Post.objects.count() == 0


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(1899, 12, 31, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 27, 9, 0),  # noqa: DTZ001 -- no time zone, on purpose
    ],
)
def test_it_refuses_a_publication_date_it_cannot_mean(cast: Cast, when: dt.datetime) -> None:
    with pytest.raises(ValidationFailed) as caught:
        published_post(cast.ana, published_at=when)

    assert (caught.value.code, caught.value.field) == ("invalid_date", "published_at")
    assert Post.objects.count() == 0
