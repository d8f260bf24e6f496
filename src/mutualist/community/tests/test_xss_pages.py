"""The XSS corpus through the real pages: stored as comments, then read back.

Every vector of ``xss_corpus`` is posted as a comment (a member's, or a
visitor's approved by the post's author), some as replies; then the post's
page, the Atom feeds and the API are read as anyone reads them. In the page,
each comment body (``div.blog-comment-body``) holds only the allowed HTML,
parsed as a browser parses the whole page; no ``<script>`` but our own
files, no event-handler attribute, no ``javascript:`` URL anywhere in the
page, and the word ``javascript:`` only where a commenter typed it as text.

And the email addresses (the visitors', the held comment's, a member's, the
author's) appear in no public response, in any encoding.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from html import escape
from typing import Any, ClassVar
from urllib.parse import quote

from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from mutualist.community.models import Comment, Post
from mutualist.community.sanitize import clean_comment_html
from mutualist.community.services.challenges import challenge_issue
from mutualist.community.services.comments import comment_moderate, comment_submit
from mutualist.community.services.posts import post_create
from mutualist.community.tests.xss_corpus import (
    COMMENT_POLICY,
    MARKDOWN_VECTORS,
    POST_POLICY,
    URL_ATTRIBUTES,
    VECTORS,
    browser_parse,
    element_problems,
    html_problems,
)
from mutualist.members.models import User
from mutualist.testing import make_member

ATOM = "{http://www.w3.org/2005/Atom}"
AUTHOR_EMAIL = "secret.author+xss@example.net"
MEMBER_EMAIL = "secret.member+xss@example.net"
READER_EMAIL = "secret.reader+xss@example.net"
HELD_EMAIL = "secret.held+xss@example.net"
EMAILS = (AUTHOR_EMAIL, MEMBER_EMAIL, READER_EMAIL, HELD_EMAIL)
# The schemes a browser would run or render as a document.
EXECUTABLE = ("javascript:", "vbscript:", "data:", "livescript:")


def answered(question: str) -> str:
    """The visitor's answer to "4 + 3 =", worked out as a person would."""
    left, right = question.rstrip(" =").split("+")
    return str(int(left) + int(right))


def visitor_comment(post: Post, *, email: str, body: str, address: str, **kwargs: Any) -> Comment:
    issued = challenge_issue()
    return comment_submit(
        post=post,
        body=body,
        address=address,
        name="Rosa Reader",
        email=email,
        website="https://rosa.example.net/",
        challenge=issued.signed,
        answer=answered(issued.question),
        **kwargs,
    )


def publish(author: User, title: str, body: str, tags: list[str]) -> Post:
    return post_create(
        author=author,
        title=title,
        body=body,
        tags=tags,
        status=Post.Status.PUBLISHED,
        published_at=timezone.now() - dt.timedelta(days=1),
    )


def page_tree(content: bytes) -> ET.Element:
    return browser_parse(content.decode())


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def executable_bits(root: ET.Element) -> list[str]:
    """Anything in a whole page that could run script: an inline or foreign
    script, an event-handler attribute, a URL attribute with a script or
    document scheme."""
    found = []
    for element in root.iter():
        tag: Any = element.tag
        if not isinstance(tag, str):
            continue
        if tag.rsplit("}", 1)[-1] == "script":
            src = element.get("src") or ""
            if not src.startswith("/static/") or (element.text or "").strip():
                found.append(f"<script src={src!r}>{element.text!r}")
        for name, value in element.attrib.items():
            bare = name.rsplit("}", 1)[-1].lower()
            if bare.startswith("on"):
                found.append(f"<{tag} {name}={value!r}>")
            if bare in URL_ATTRIBUTES or name in URL_ATTRIBUTES:
                normalized = "".join(ch for ch in value if ch > " " and ch != "\x7f").lower()
                if normalized.startswith(EXECUTABLE):
                    found.append(f"<{tag} {name}={value!r}>")
    return found


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


class XssThroughThePagesTests(TestCase):
    """The corpus as comments on one post, and as Markdown in another."""

    author: ClassVar[User]
    member: ClassVar[User]
    comments: ClassVar[Post]
    article: ClassVar[Post]
    stored: ClassVar[dict[int, str]]  # comment id -> vector name

    @classmethod
    def setUpTestData(cls) -> None:
        cls.author = make_member(AUTHOR_EMAIL, "Aroha Author")
        cls.member = make_member(MEMBER_EMAIL, "Mele Member")
        cls.comments = publish(
            cls.author, "Comments from everywhere", "Tell us **anything**.", ["xss"]
        )
        cls.article = publish(
            cls.author,
            "Markdown from everywhere",
            # A post's text may not hold NUL (invalid_characters): the vectors'
            # NULs become what a browser's parser reads them as, U+FFFD.
            "\n\n".join([*VECTORS.values(), *MARKDOWN_VECTORS.values()]).replace("\x00", "\ufffd"),
            ["xss"],
        )
        cls.stored = {}
        previous: Comment | None = None
        for i, (name, html) in enumerate(VECTORS.items()):
            body = f"[{name}] {html}"
            address = f"10.8.{i // 200}.{i % 200}"  # a fresh address: no rate limit
            # Every third comment answers the one before it (threads render too).
            parent_id = previous.pk if previous is not None and i % 3 == 2 else None
            if i % 2 == 0:
                comment = comment_submit(
                    post=cls.comments,
                    body=body,
                    address=address,
                    user=cls.member,
                    parent_id=parent_id,
                )
            else:
                comment = visitor_comment(
                    cls.comments,
                    email=READER_EMAIL,
                    body=body,
                    address=address,
                    parent_id=parent_id,
                )
            if comment.status == Comment.Status.PENDING:
                comment = comment_moderate(comment=comment, moderator=cls.author, action="approve")
            cls.stored[comment.pk] = name
            previous = comment
        # And one held for moderation, never shown.
        visitor_comment(
            cls.comments,
            email=HELD_EMAIL,
            body="[held] <script>alert('held')</script>Held back.",
            address="10.8.9.9",
        )

    def test_every_vector_was_stored_cleaned_and_approved(self):
        rows = Comment.objects.filter(post=self.comments)
        self.assertEqual(rows.filter(status=Comment.Status.APPROVED).count(), len(VECTORS))
        self.assertEqual(rows.filter(status=Comment.Status.PENDING).count(), 1)
        self.assertTrue(rows.filter(parent__isnull=False).exists())
        for comment in rows.filter(status=Comment.Status.APPROVED):
            with self.subTest(vector=self.stored[comment.pk]):
                self.assertEqual(comment.body, clean_comment_html(comment.body).strip())

    def test_the_post_page_shows_each_comment_body_with_only_the_allowed_html(self):
        # when
        response = Client().get(reverse("community:post", kwargs={"slug": self.comments.slug}))
        # then
        self.assertEqual(response.status_code, 200)
        root = page_tree(response.content)
        bodies = with_class(root, "blog-comment-body")
        self.assertEqual(len(bodies), len(VECTORS))
        by_name = {}
        for body in bodies:
            name = text_of(body).split("]", 1)[0].lstrip("[")
            by_name[name] = [
                p for element in body.iter() if element is not body
                for p in element_problems(element, COMMENT_POLICY)
            ]  # fmt: skip
        self.assertEqual(set(by_name), set(VECTORS))
        self.assertEqual({name: p for name, p in by_name.items() if p}, {})

    def test_the_post_page_stores_each_body_verbatim_as_the_sanitizer_gave_it(self):
        response = Client().get(reverse("community:post", kwargs={"slug": self.comments.slug}))
        page = response.content.decode()
        for comment in Comment.objects.filter(post=self.comments, status=Comment.Status.APPROVED):
            with self.subTest(vector=self.stored[comment.pk]):
                shown = clean_comment_html(comment.body)
                self.assertIn(f'<div class="blog-comment-body">{shown}</div>', page)
                self.assertEqual(html_problems(shown), [])

    def test_nothing_in_the_post_page_can_run_script(self):
        # when
        response = Client().get(reverse("community:post", kwargs={"slug": self.comments.slug}))
        # then: nothing executable anywhere in the page
        root = page_tree(response.content)
        self.assertEqual(executable_bits(root), [])
        page = response.content.decode().lower()
        self.assertNotIn("alert('held')", page)
        self.assertNotIn("<script>", page)
        # "javascript:" only as text a commenter typed, inside a comment body
        typed = sum(
            text_of(b).lower().count("javascript:") for b in with_class(root, "blog-comment-body")
        )
        self.assertEqual(page.count("javascript:"), typed)
        # and the second line of defence is there
        policy = response.headers["Content-Security-Policy"]
        self.assertIn("script-src 'self'", policy)
        self.assertNotIn("unsafe-inline", policy.split("script-src", 1)[1].split(";", 1)[0])

    def test_the_markdown_post_page_holds_only_an_articles_html(self):
        # when
        response = Client().get(reverse("community:post", kwargs={"slug": self.article.slug}))
        # then
        self.assertEqual(response.status_code, 200)
        root = page_tree(response.content)
        self.assertEqual(executable_bits(root), [])
        self.assertNotIn("<script>", response.content.decode().lower())

    def test_the_atom_feeds_carry_only_sanitized_html(self):
        for url in (
            reverse("community:feed"),
            reverse("community:tag_feed", kwargs={"slug": "xss"}),
        ):
            with self.subTest(url=url):
                # when
                response = Client().get(url)
                # then
                self.assertEqual(response.status_code, 200)
                feed = ET.fromstring(response.content)  # noqa: S314 -- our own feed
                entries = feed.findall(f"{ATOM}entry")
                self.assertEqual(len(entries), 2)
                for entry in entries:
                    shown = [e for e in entry if e.tag in (f"{ATOM}summary", f"{ATOM}content")]
                    self.assertNotEqual(shown, [])
                    for part in shown:
                        html = part.text or ""
                        self.assertEqual(part.get("type"), "html")
                        self.assertEqual(html_problems(html, POST_POLICY), [])
                        self.assertNotIn("<script", html.lower())
                raw = response.content.decode().lower()
                self.assertNotIn("<script", raw)

    def test_the_api_serves_each_comment_body_with_only_the_allowed_html(self):
        # when: every page of the post's comments
        items: list[dict[str, Any]] = []
        url = f"/api/v1/blog/posts/{self.comments.slug}/comments"
        while True:
            response = Client().get(url, {"limit": 100, "offset": len(items)})
            self.assertEqual(response.status_code, 200)
            page = response.json()
            items += page["items"]
            if len(items) >= page["count"]:
                break
        # then
        self.assertEqual(len(items), len(VECTORS))
        failures = {}
        for item in items:
            self.assertNotIn("email", item)
            problems = html_problems(item["body_html"])
            if problems:
                failures[item["id"]] = problems
            self.assertIn(item["website"], ("", "https://rosa.example.net/"))
        self.assertEqual(failures, {})

    def test_the_api_serves_the_markdown_post_as_an_articles_html(self):
        response = Client().get(f"/api/v1/blog/posts/{self.article.slug}")
        self.assertEqual(response.status_code, 200)
        html = response.json()["body_html"]
        self.assertEqual(html_problems(html, POST_POLICY), [])


class EmailNeverPublishedTests(TestCase):
    """Commenters' (and the author's) email addresses, in no public response."""

    author: ClassVar[User]
    post: ClassVar[Post]
    approved: ClassVar[Comment]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.author = make_member(AUTHOR_EMAIL, "Aroha Author")
        member = make_member(MEMBER_EMAIL, "Mele Member")
        make_member("olga.outsider@example.org", "Olga Outsider")
        cls.post = publish(cls.author, "Pricing a team pitch", "Our *rates*.", ["pricing"])
        first = visitor_comment(
            cls.post, email=READER_EMAIL, body="Thanks for this.", address="10.9.0.1"
        )
        cls.approved = comment_moderate(comment=first, moderator=cls.author, action="approve")
        comment_submit(
            post=cls.post,
            body="We do the same.",
            address="10.9.0.2",
            user=member,
            parent_id=first.pk,
        )
        member_comment = Comment.objects.get(user=member)
        comment_moderate(comment=member_comment, moderator=cls.author, action="approve")
        comment_submit(post=cls.post, body="My own note.", address="10.9.0.3", user=cls.author)
        held = visitor_comment(
            cls.post, email=HELD_EMAIL, body="Held until trusted.", address="10.9.0.4"
        )
        assert held.status == Comment.Status.PENDING

    def public_responses(self, client: Client) -> dict[str, bytes]:
        slug = self.post.slug
        urls = {
            "index": reverse("community:index"),
            "post": reverse("community:post", kwargs={"slug": slug}),
            "tag": reverse("community:tag", kwargs={"slug": "pricing"}),
            "feed": reverse("community:feed"),
            "tag feed": reverse("community:tag_feed", kwargs={"slug": "pricing"}),
            "api posts": "/api/v1/blog/posts",
            "api post": f"/api/v1/blog/posts/{slug}",
            "api comments": f"/api/v1/blog/posts/{slug}/comments",
            "api tags": "/api/v1/blog/tags",
        }
        contents = {}
        for name, url in urls.items():
            response = client.get(url)
            self.assertEqual(response.status_code, 200, name)
            contents[name] = response.content
        permalink = reverse("community:comment", kwargs={"comment_id": self.approved.pk})
        response = client.get(permalink)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].endswith(f"#comment-{self.approved.pk}"))
        target = client.get(response["Location"])
        self.assertEqual(target.status_code, 200)
        contents["permalink"] = response.content + response["Location"].encode()
        contents["permalink target"] = target.content
        return contents

    def assert_no_email_in(self, contents: dict[str, bytes]) -> None:
        for name, content in contents.items():
            raw = content.decode().lower()
            for email in EMAILS:
                local = email.split("@", 1)[0]
                with self.subTest(response=name, email=email):
                    for form in (email, escape(email), quote(email), quote(email, safe="")):
                        self.assertNotIn(form.lower(), raw)
                    self.assertNotIn(local, raw)
                    self.assertNotIn(local.replace("+", "&#43;"), raw)
                    self.assertNotIn(local.replace("+", "\\u002b"), raw)

    def test_no_public_response_shows_an_email_address_to_a_visitor(self):
        self.assert_no_email_in(self.public_responses(Client()))

    def test_no_public_response_shows_an_email_address_to_another_member(self):
        client = Client()
        client.force_login(
            User.objects.get(email="olga.outsider@example.org"),
            backend="django.contrib.auth.backends.ModelBackend",
        )
        self.assert_no_email_in(self.public_responses(client))

    def test_the_page_does_show_the_comments_so_the_check_means_something(self):
        response = Client().get(reverse("community:post", kwargs={"slug": self.post.slug}))
        page = response.content.decode()
        for text in ("Thanks for this.", "We do the same.", "My own note.", "Rosa Reader"):
            self.assertIn(text, page)
        self.assertNotIn("Held until trusted.", page)
