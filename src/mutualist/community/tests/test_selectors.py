"""The blog's reads: what the public, an author and a moderator each get."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from mutualist.community.models import Comment, Post
from mutualist.community.selectors import (
    PublicComment,
    Viewer,
    can_moderate,
    comment_get_for_moderator,
    comment_get_public,
    comment_tree_public,
    moderation_counts,
    moderation_queue,
    post_get_for_author,
    post_get_for_viewer,
    post_get_public,
    post_list_public,
    tag_get_public,
    tag_list_used,
)
from mutualist.community.services.comments import comment_moderate, comment_submit
from mutualist.community.tests.helpers import ADDRESS, published_post, visitor_comment
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


def test_the_public_sees_published_posts_whose_date_has_come_newest_first(cast: Cast) -> None:
    now = timezone.now()
    old = published_post(cast.ana, title="Old", published_at=now - dt.timedelta(days=9))
    new = published_post(cast.ben, title="New", published_at=now - dt.timedelta(hours=1))
    published_post(cast.ana, title="Later", published_at=now + dt.timedelta(days=1))
    published_post(cast.ana, title="Draft", status=Post.Status.DRAFT, published_at=None)

    assert list(post_list_public()) == [new, old]
    for slug in ["later", "draft"]:
        with pytest.raises(Http404):
            post_get_public(slug=slug)


def test_the_comment_count_counts_approved_comments_only(cast: Cast) -> None:
    post = published_post(cast.ana)
    comment_submit(post=post, body="Mine.", address=ADDRESS, user=cast.ana)  # approved
    visitor_comment(post)  # held

    assert post_list_public().get().comment_count == 1  # type: ignore[attr-defined]


def test_filters_by_tag_and_collective(cast: Cast) -> None:
    tagged = published_post(cast.ana, tags=["Sick pay"], title="Fund")
    published_post(cast.ben, tags=["Pricing"], title="Price", collective=cast.collective_a)
    sick_pay = tagged.tags.get()

    assert list(post_list_public(tag=sick_pay)) == [tagged]
    assert [p.title for p in post_list_public(collective=cast.collective_a)] == ["Price"]
    assert [(t.name, t.post_count) for t in tag_list_used()] == [  # type: ignore[attr-defined]
        ("Pricing", 1),
        ("Sick pay", 1),
    ]


def test_an_author_previews_their_own_draft_and_no_one_else_does(cast: Cast) -> None:
    draft = published_post(cast.ana, status=Post.Status.DRAFT, published_at=None)

    assert post_get_for_viewer(viewer=cast.ana, slug=draft.slug) == draft
    assert post_get_for_author(user=cast.ana, slug=draft.slug) == draft
    viewers: list[Viewer] = [cast.ben, cast.olga, AnonymousUser()]
    for viewer in viewers:
        with pytest.raises(Http404):
            post_get_for_viewer(viewer=viewer, slug=draft.slug)
        with pytest.raises(Http404):
            post_get_for_author(user=viewer, slug=draft.slug)


def test_public_comments_are_threads_with_no_email_field(cast: Cast) -> None:
    post = published_post(cast.ana)
    first = comment_submit(post=post, body="First", address=ADDRESS, user=cast.ana)
    reply = comment_submit(
        post=post, body="Reply", address=ADDRESS, user=cast.ana, parent_id=first.pk
    )
    held = visitor_comment(post)

    tree = comment_tree_public(post=post)

    assert [c.id for c in tree] == [first.pk]
    assert [c.id for c in tree[0].replies] == [reply.pk]
    assert held.pk not in {c.id for c in tree}
    assert (tree[0].by_member, tree[0].by_author) == (True, True)  # Ana wrote the post
    assert "email" not in {f.name for f in dataclasses.fields(PublicComment)}


def test_a_reply_whose_parent_was_trashed_moves_to_the_top(cast: Cast) -> None:
    post = published_post(cast.ana)
    first = comment_submit(post=post, body="First", address=ADDRESS, user=cast.ana)
    reply = comment_submit(
        post=post, body="Reply", address=ADDRESS, user=cast.ana, parent_id=first.pk
    )
    comment_moderate(comment=first, moderator=cast.ana, action="trash")

    assert [c.id for c in comment_tree_public(post=post)] == [reply.pk]


def test_a_stored_row_is_cleaned_again_on_the_way_out(cast: Cast) -> None:
    post = published_post(cast.ana)
    comment = comment_submit(post=post, body="ok", address=ADDRESS, user=cast.ana)
    Comment.objects.filter(pk=comment.pk).update(body='<img src=x onerror="alert(1)">hi')

    assert str(comment_tree_public(post=post)[0].body_html) == "hi"


def test_a_comment_permalink_finds_only_shown_comments(cast: Cast) -> None:
    post = published_post(cast.ana)
    shown = comment_submit(post=post, body="ok", address=ADDRESS, user=cast.ana)
    held = visitor_comment(post)

    assert comment_get_public(comment_id=shown.pk) == shown
    with pytest.raises(Http404):
        comment_get_public(comment_id=held.pk)


def test_the_queue_holds_comments_on_the_posts_one_moderates(cast: Cast) -> None:
    own = published_post(cast.ana, title="Own")
    for_a = published_post(cast.ben, title="For A", collective=cast.collective_a)
    bens = published_post(cast.ben, title="Ben's")
    on_own, on_a, on_bens = visitor_comment(own), visitor_comment(for_a), visitor_comment(bens)

    assert list(moderation_queue(user=cast.ana)) == [on_own, on_a]  # Ana coordinates A
    assert list(moderation_queue(user=cast.ben)) == [on_a, on_bens]
    assert list(moderation_queue(user=cast.olga)) == []
    assert list(moderation_queue(user=AnonymousUser())) == []
    assert list(moderation_queue(user=cast.ana, status="bogus")) == []
    assert moderation_counts(user=cast.ana)["pending"] == 2
    assert can_moderate(user=cast.ana, post=for_a)
    assert not can_moderate(user=cast.carla, post=for_a)

    assert comment_get_for_moderator(user=cast.ben, comment_id=on_a.pk) == on_a
    outsiders: list[Viewer] = [cast.olga, cast.carla, AnonymousUser()]
    for user in outsiders:
        with pytest.raises(Http404):
            comment_get_for_moderator(user=user, comment_id=on_own.pk)
    with pytest.raises(Http404):
        comment_get_for_moderator(user=cast.ben, comment_id=on_own.pk)


def test_a_members_comment_on_someone_elses_post_is_not_the_authors(cast: Cast) -> None:
    post = published_post(cast.ana)
    comment_submit(post=post, body="From Ben", address=ADDRESS, user=cast.ben)
    comment = comment_moderate(comment=Comment.objects.get(), moderator=cast.ana, action="approve")

    (shown,) = comment_tree_public(post=post)

    assert (shown.id, shown.by_member, shown.by_author) == (comment.pk, True, False)


def test_a_tag_only_a_draft_carries_is_not_public(cast: Cast) -> None:
    published_post(cast.ana, status=Post.Status.DRAFT, published_at=None, tags=["Secret merger"])
    published_post(cast.ana, title="Public", tags=["Open"])

    with pytest.raises(Http404):
        tag_get_public(slug="secret-merger")
    assert tag_get_public(slug="open").name == "Open"


def test_threads_nest_five_levels_and_deeper_replies_sit_beside_their_parent(
    cast: Cast,
) -> None:
    # given: a chain of 80 replies, each to the one before
    post = published_post(cast.ana)
    parent_id = None
    chain = []
    for n in range(80):
        comment = comment_submit(
            post=post,
            body=f"Level {n}",
            address=f"198.51.100.{n}",
            user=cast.ana,
            parent_id=parent_id,
        )
        chain.append(comment.pk)
        parent_id = comment.pk

    tree = comment_tree_public(post=post)

    # then: five levels, the rest beside the fifth, in order
    levels, node = [], tree
    while node:
        levels.append([c.id for c in node])
        node = node[0].replies
    assert [len(level) for level in levels] == [1, 1, 1, 1, 76]
    assert levels[-1] == chain[4:]


def test_a_website_that_is_not_http_is_never_a_public_link(cast: Cast) -> None:
    post = published_post(cast.ana)
    comment = comment_submit(post=post, body="ok", address=ADDRESS, user=cast.ana)
    Comment.objects.filter(pk=comment.pk).update(website="javascript:alert(1)")

    assert comment_tree_public(post=post)[0].website == ""
