"""The blog's Content-Security-Policy: on every response under /blog/ (a
CSRF failure, an address that matches nothing, a server error and HEAD
included), and pages that keep to it (no inline script, no inline style,
no event-handler attributes), so the policy refuses nothing of ours."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from mutualist.community.csp import HEADER, POLICY
from mutualist.community.middleware import PATH_PREFIX
from mutualist.community.tests.test_views_support import (
    HTMX_CONFIG,
    a_draft,
    a_post,
    approved_comment,
    comment_url,
    held_comment,
    page_of,
    post_url,
    visitor_form,
)
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db

EXACT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
MIDDLEWARE_PATH = "mutualist.community.middleware.BlogContentSecurityPolicyMiddleware"


@pytest.fixture
def blog(cast: Cast) -> dict[str, Any]:
    """A post with a thread and a held comment, a draft, and their addresses."""
    post = a_post(cast.ana, collective=cast.collective_a, tags=["time zones"])
    rosa = approved_comment(post, moderator=cast.ana)
    approved_comment(post, moderator=cast.ana, parent_id=rosa.pk, body="A reply.")
    held = held_comment(post)
    draft = a_draft(cast.ana, title="A draft")
    return {
        "post": post,
        "public": [
            "/blog/",
            "/blog/?page=2",
            "/blog/tags/time-zones/",
            "/blog/feed/",
            "/blog/tags/time-zones/feed/",
            post_url(post),
            f"{post_url(post)}?replyto={rosa.pk}",
            reverse("community:comment", kwargs={"comment_id": rosa.pk}),
        ],
        "author": [
            post_url(draft),
            "/blog/write/",
            "/blog/mine/",
            reverse("community:post_edit", kwargs={"slug": post.slug}),
            "/blog/moderation/",
            "/blog/moderation/?status=approved",
            reverse("community:comment_edit", kwargs={"comment_id": held.pk}),
        ],
        "held": held,
    }


def test_the_policy_is_exactly_the_one_the_issue_asks_for():
    assert POLICY == EXACT
    assert HEADER == "Content-Security-Policy"


def test_every_public_blog_page_and_feed_carries_the_policy(blog, client, client_for, cast):
    for url in blog["public"]:
        for viewer in (client, client_for(cast.olga)):
            response = viewer.get(url)
            assert response.status_code in (200, 302), url
            assert response[HEADER] == EXACT, url


def test_every_authors_page_carries_the_policy_and_so_does_the_way_to_log_in(
    blog, client, client_for, cast
):
    ana = client_for(cast.ana)
    for url in blog["author"]:
        assert ana.get(url)[HEADER] == EXACT, url
        assert client.get(url)[HEADER] == EXACT, url  # 404 or the login redirect


def test_answers_to_forms_carry_the_policy(blog, client, client_for, cast):
    post, held = blog["post"], blog["held"]
    ana = client_for(cast.ana)
    answers = [
        client.post(comment_url(post), visitor_form(client, post)),  # accepted: a redirect
        client.post(comment_url(post), visitor_form(client, post, answer="999")),  # 400
        ana.post("/blog/write/", {"title": ""}),  # 422
        ana.post(
            reverse("community:comment_moderate", kwargs={"comment_id": held.pk}),
            {"action": "approve"},
            HTTP_HX_REQUEST="true",
        ),
        ana.post(reverse("community:post_delete", kwargs={"slug": post.slug})),  # the question
    ]
    assert [r.status_code for r in answers] == [302, 400, 422, 200, 200]
    for response in answers:
        assert response[HEADER] == EXACT


def test_the_blogs_not_found_and_forbidden_pages_carry_the_policy_too(client, db):
    for url in ("/blog/no-such-post/", "/blog/tags/nothing/", "/blog/comments/999/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response[HEADER] == EXACT
        assert "Page not found" in page_of(response)


def test_a_refused_csrf_check_under_the_blog_carries_the_policy(cast: Cast):
    # given: a client that has never had a page, so no CSRF cookie (curl -d x=1)
    post = a_post(cast.ana)
    curl = Client(enforce_csrf_checks=True)

    # when: it posts a comment straight away
    response = curl.post(comment_url(post), {"x": "1"})

    # then: Django's CSRF failure page, before any view, with the policy
    assert response.status_code == 403
    assert response[HEADER] == EXACT


@pytest.mark.parametrize(
    "url",
    ["/blog/comments/abc/", "/blog/a/b/c/", "/blog/tags/", "/blog/%C2%B2/comments/x/"],
)
def test_a_blog_address_that_matches_no_page_carries_the_policy(client, db, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response[HEADER] == EXACT


def test_a_server_error_on_a_blog_page_carries_the_policy(client, db, monkeypatch):
    # given: the index fails (a database gone, a bug)
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr("mutualist.community.views.reading.post_list_public", broken)
    client.raise_request_exception = False

    # when
    response = client.get("/blog/")

    # then: the 500 page, with the policy
    assert response.status_code == 500
    assert response[HEADER] == EXACT


def test_head_answers_carry_the_policy(blog, client):
    for url in blog["public"]:
        assert client.head(url)[HEADER] == EXACT, url


def test_the_middleware_covers_exactly_where_the_blog_is_mounted():
    assert reverse("community:index") == PATH_PREFIX
    assert MIDDLEWARE_PATH in settings.MIDDLEWARE
    # after SecurityMiddleware, before every middleware that may answer on its own
    assert settings.MIDDLEWARE.index(MIDDLEWARE_PATH) == 1
    assert settings.MIDDLEWARE[0] == "django.middleware.security.SecurityMiddleware"


def test_the_policy_is_the_blogs_alone(client, db):
    # The rest of the site is not yet written for it (inline <style> in the
    # funds' pages): it stays there until the site moves to Django's own CSP.
    assert HEADER not in client.get("/")
    assert HEADER not in client.get(reverse("members:directory"))


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def test_the_blogs_pages_have_nothing_inline_that_the_policy_would_refuse(
    blog, client, client_for, cast
):
    # given: a comment carrying every inline trick, approved
    post = blog["post"]
    approved_comment(
        post,
        moderator=cast.ana,
        body='<b onclick="alert(1)" style="color:red">x</b><style>*{}</style>'
        '<script>alert(2)</script><a href="javascript:alert(3)">y</a>',
    )
    ana = client_for(cast.ana)
    pages = [client.get(url) for url in blog["public"]] + [ana.get(url) for url in blog["author"]]

    for response in pages:
        if response.status_code != 200 or "html" not in response["Content-Type"]:
            continue
        page = page_of(response)
        url = response.request["PATH_INFO"]
        assert not INLINE_SCRIPT.search(page), url
        assert not INLINE_STYLE.search(page), url
        assert not EVENT_HANDLER.search(page), url
        assert not JS_URL.search(page), url
        # htmx's own inline <style> is switched off, and so is its eval
        assert HTMX_CONFIG in page
