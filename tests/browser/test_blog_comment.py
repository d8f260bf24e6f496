"""A visitor's comment on the blog, in a real browser, under the blog's CSP.

A visitor opens Ana's published post, writes a comment with their name and
email, reads the sum on the page, works it out and sends it: the page says
the comment awaits moderation. Ana approves it from her queue with one click
(htmx swaps the row), and the visitor then finds it under the post. All
along, the browser reports no Content-Security-Policy violation: the blog's
pages keep to their own policy (no inline script or style, htmx's indicator
style switched off). htmx evaluates no attribute code and ignores hx-*
attributes inside a comment. And the policy is really enforced: a script
injected into the page is refused. Screenshots are kept (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.urls import reverse
from django.utils import timezone

from mutualist.community.models import Comment, Post
from mutualist.community.services.posts import post_create
from mutualist.testing import PASSWORD, build_cast

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize
    from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.browser]

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
CSP = "Content Security Policy"


def shoot(page: Page, folder: Path, step: str) -> None:
    page.screenshot(path=str(folder / f"{step}.png"), full_page=True)


def listen(page: Page, heard: list[str]) -> None:
    """Keep every console message about the Content-Security-Policy."""

    def keep(message: ConsoleMessage) -> None:
        if CSP in message.text:
            heard.append(message.text)

    page.on("console", keep)


def test_a_visitor_answers_the_sum_and_their_comment_waits_for_the_author(
    browser: Browser, live_server: LiveServer, transactional_db: None, screenshots: Path
) -> None:
    from django.contrib.contenttypes.models import ContentType
    from playwright.sync_api import expect

    ContentType.objects.clear_cache()  # an earlier transactional test's flush made new ids

    # given: Ana's published post
    cast = build_cast()
    post = post_create(
        author=cast.ana,
        collective=cast.collective_a,
        title="Covering Sydney’s mornings from Manila",
        body="We split the day in **three** shifts.",
        tags=["time zones"],
        status=Post.Status.PUBLISHED,
        published_at=timezone.now() - dt.timedelta(days=1),
    )
    post_url = reverse("community:post", kwargs={"slug": post.slug})
    violations: list[str] = []
    visitor_context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    visitor = visitor_context.new_page()
    listen(visitor, violations)

    # when: a visitor opens it from the blog's index and fills in the form
    visitor.goto(reverse("community:index"))
    visitor.get_by_role("link", name="Covering Sydney’s mornings from Manila").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "Covering Sydney’s mornings from Manila"
    )
    visitor.get_by_role("textbox", name="Comment").fill("Thank you, <em>this</em> helped our team.")
    visitor.get_by_role("textbox", name="Name").fill("Rosa Visitor")
    visitor.get_by_role("textbox", name="Email").fill("rosa.visitor@example.net")
    # the honeypot is there for robots, not for people
    expect(visitor.locator("#id_homepage")).not_to_be_in_viewport()
    # they read the sum on the page and work it out
    question = visitor.locator("label[for=id_answer]").inner_text()
    match = re.match(r"\s*(\d+) \+ (\d+) =", question)
    assert match is not None, question
    visitor.get_by_role("textbox", name=re.compile(r"\d+ \+ \d+ =")).fill(
        str(int(match.group(1)) + int(match.group(2)))
    )
    shoot(visitor, screenshots, "01-comment-form")
    visitor.get_by_role("button", name="Post comment").click()

    # then: the page says it waits for moderation; it is not shown yet
    expect(visitor.get_by_text("Thank you! Your comment is awaiting moderation.")).to_be_visible()
    expect(visitor.get_by_role("heading", name="0 comments")).to_be_visible()
    shoot(visitor, screenshots, "02-held")
    comment = Comment.objects.get()
    assert (comment.status, comment.name, comment.email) == (
        "pending",
        "Rosa Visitor",
        "rosa.visitor@example.net",
    )

    # when: Ana approves it from her queue (htmx swaps the row in place)
    ana_context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    ana = ana_context.new_page()
    listen(ana, violations)
    ana.goto(reverse("members:login"))
    ana.get_by_label("Email address").fill("ana@example.org")
    ana.get_by_label("Password").fill(PASSWORD)
    ana.get_by_role("button", name="Log in").click()
    ana.wait_for_url(re.compile(r"/me/"))
    ana.goto(reverse("community:moderation"))
    expect(ana.get_by_text("rosa.visitor@example.net")).to_be_visible()
    ana.evaluate("window.__noReload = true")
    ana.get_by_role("button", name="Approve Rosa Visitor’s comment").click()
    expect(ana.get_by_text("Approved: it is shown on the post.")).to_be_visible()
    assert ana.evaluate("window.__noReload") is True  # swapped, not reloaded
    shoot(ana, screenshots, "03-approved")

    # then: the visitor finds it under the post, without the email address
    visitor.goto(post_url)
    expect(visitor.get_by_role("heading", name="1 comment", exact=True)).to_be_visible()
    expect(visitor.locator(f"#comment-{comment.pk}")).to_contain_text("this helped our team")
    assert "rosa.visitor@example.net" not in visitor.content()
    shoot(visitor, screenshots, "04-shown")

    # and no page broke the blog's policy
    assert violations == []

    # and htmx keeps out of what people wrote: it evaluates no attribute code,
    # and an hx-* attribute inside a comment (were one ever to get past the
    # sanitizer) does nothing
    assert visitor.evaluate("htmx.config.allowEval") is False
    asked: list[str] = []
    visitor.on("request", lambda request: asked.append(request.url))
    visitor.evaluate(
        """(id) => {
            const body = document.querySelector(`#${id} .blog-comment-body`);
            body.insertAdjacentHTML("beforeend", '<b hx-get="/blog/feed/" hx-trigger="load">x</b>');
            htmx.process(body);
        }""",
        f"comment-{comment.pk}",
    )
    visitor.wait_for_timeout(300)
    assert not [url for url in asked if "/blog/feed/" in url], asked

    # and the policy is enforced: a script slipped into the page does not run
    ran = visitor.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__injected = true";
            document.body.appendChild(script);
            return window.__injected === true;
        }"""
    )
    assert ran is False
    visitor.wait_for_timeout(200)
    assert any("inline script" in text for text in violations), violations
    visitor_context.close()
    ana_context.close()
