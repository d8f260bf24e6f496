"""The blog's Atom feeds: the latest public posts, and a tag's."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from mutualist.community.tests.test_views_support import (
    VISITOR_EMAIL,
    a_draft,
    a_post,
    approved_comment,
    held_comment,
    page_of,
)
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db

FEED = "/blog/feed/"
ATOM = "{http://www.w3.org/2005/Atom}"


def parsed(response) -> ET.Element:
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.content)  # noqa: S314 -- our own feed, in a test


def entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall(f"{ATOM}entry")


def text(element: ET.Element, path: str) -> str:
    found = element.find(path.replace("a:", ATOM))
    assert found is not None, path
    return found.text or ""


def test_the_feed_has_the_public_posts_newest_first_as_atom_entries(cast: Cast, client):
    # given: two published posts, a draft and a scheduled post
    a_post(
        cast.ana,
        title="Older",
        published_at=dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC),
        tags=["clients", "time zones"],
    )
    a_post(cast.ben, title="Newer", collective=cast.collective_a, tags=[])
    a_draft(cast.ana, title="Draft")
    a_post(cast.ana, title="Scheduled", published_at=timezone.now() + dt.timedelta(days=1))

    # when
    response = client.get(FEED)

    # then
    feed = parsed(response)
    assert text(feed, "a:title") == "Mutualist blog"
    assert [text(e, "a:title") for e in entries(feed)] == ["Newer", "Older"]
    older = entries(feed)[1]
    assert text(older, "a:published") == "2026-01-05T08:00:00+00:00"
    assert text(older, "a:updated") >= text(older, "a:published")
    link = older.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == "http://testserver/blog/older/"
    assert text(older, "a:author/a:name") == "Ana Reyes"
    assert [c.get("term") for c in older.findall(f"{ATOM}category")] == [
        "clients",
        "time zones",
    ]


def test_an_entrys_summary_is_the_sanitized_html_of_the_post(cast: Cast, client):
    a_post(
        cast.ana,
        body="**Bold** and <script>alert(1)</script> and [x](javascript:alert(2)) "
        "<img src=x onerror=alert(3)>",
    )

    entry = entries(parsed(client.get(FEED)))[0]

    summary = entry.find(f"{ATOM}summary")
    assert summary is not None
    assert summary.get("type") == "html"
    html = summary.text or ""
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript:' not in html


def test_the_feed_never_has_an_email_address(cast: Cast, client):
    # given: comments with their authors' addresses (the feed carries posts only)
    post = a_post(cast.ana)
    approved_comment(post, moderator=cast.ana)
    held_comment(post)

    body = page_of(client.get(FEED))

    assert "<email>" not in body
    assert "ana@example.org" not in body
    assert VISITOR_EMAIL not in body
    assert "sam.newcomer@example.net" not in body
    assert "@" not in body


def test_the_feed_holds_the_latest_twenty_posts(cast: Cast, client):
    for n in range(22):
        a_post(
            cast.ana,
            title=f"Post {n:02d}",
            published_at=timezone.now() - dt.timedelta(hours=30 - n),
        )

    titles = [text(e, "a:title") for e in entries(parsed(client.get(FEED)))]

    assert len(titles) == 20
    assert titles[0] == "Post 21"
    assert "Post 00" not in titles and "Post 01" not in titles


def test_an_authors_public_profile_is_the_entrys_author_link(cast: Cast, client, settings):
    settings.SITE_URL = "https://mutualist.example.org"
    a_post(cast.ana)

    entry = entries(parsed(client.get(FEED)))[0]

    assert text(entry, "a:author/a:uri") == "https://mutualist.example.org/people/ana-reyes/"


def test_a_tag_feed_has_only_that_tags_posts(cast: Cast, client):
    a_post(cast.ana, title="About clients", tags=["clients"])
    a_post(cast.ana, title="About time", tags=["time zones"])

    feed = parsed(client.get(reverse("community:tag_feed", kwargs={"slug": "clients"})))

    assert text(feed, "a:title") == "Mutualist blog: clients"
    assert [text(e, "a:title") for e in entries(feed)] == ["About clients"]


def test_an_unknown_tags_feed_is_not_found(client, db):
    response = client.get(reverse("community:tag_feed", kwargs={"slug": "nothing"}))

    assert response.status_code == 404


def test_the_feeds_take_only_get(cast: Cast, client):
    a_post(cast.ana)

    assert client.post(FEED).status_code == 405
    assert client.post("/blog/tags/time-zones/feed/").status_code == 405
