"""The demo's blog: four posts by demo members (three for their collectives),
comments from visitors and members with threaded replies, exactly one held
for moderation; made through the blog's services, dated before the day the
demo is loaded, loaded once, and nothing in the books.

The demo is loaded once for the class (``setUpTestData``): it takes seconds,
and each test only reads it or changes it inside its own rolled-back
transaction.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from mutualist.community.models import Comment, Post, SpentChallenge, Tag
from mutualist.community.sanitize import render_post_markdown
from mutualist.community.selectors import comment_list_public, moderation_queue
from mutualist.community.tests.xss_corpus import browser_parse
from mutualist.demo import data as demo
from mutualist.demo.community import POSTS, community_is_loaded, community_load
from mutualist.ledger.check import ledger_check
from mutualist.ledger.models import Posting, Transaction
from mutualist.members.models import User

EMAIL = "{}@demo.mutualist.coop"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BLOG = (Post, Tag, Comment, SpentChallenge)


def user(login: str) -> User:
    return User.objects.get(email=EMAIL.format(login))


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (*BLOG, Transaction, Posting)}


def tags_of(html: str) -> set[str]:
    root = browser_parse(html)
    return {e.tag for e in root.iter() if isinstance(e.tag, str)}


@override_settings(PASSWORD_HASHERS=FAST_HASHER)
class DemoBlogTests(TestCase):
    loaded: demo.DemoResult

    @classmethod
    def setUpTestData(cls) -> None:
        cls.loaded = demo.demo_load()

    def test_it_writes_four_posts_three_of_them_for_a_collective(self):
        posts = Post.objects.order_by("published_at")
        self.assertEqual(
            [(p.title, p.author.email, p.collective.slug if p.collective else None) for p in posts],
            [
                ("How we cover Sydney's mornings from Manila", EMAIL.format("ana"), "manila-va"),
                (
                    "Our sick-pay fund: what we learnt setting it up",
                    EMAIL.format("bea"),
                    "manila-va",
                ),
                ("Pricing a team pitch", EMAIL.format("joy"), "remote-crew"),
                ("A day in a virtual office in Nairobi", EMAIL.format("wanjiru"), None),
            ],
        )
        self.assertEqual((self.loaded.posts, self.loaded.comments), (4, 11))
        self.assertTrue(all(p.status == Post.Status.PUBLISHED for p in posts))
        self.assertTrue(all(p.excerpt and p.tags.exists() for p in posts))
        self.assertEqual(
            set(Tag.objects.values_list("slug", flat=True)),
            {"time-zones", "customer-care", "manila", "mutual-aid", "sick-pay", "pricing",
             "pitches", "nairobi", "remote-work"},
        )  # fmt: skip

    def test_the_posts_were_published_days_ago_and_the_comments_after_them(self):
        now = timezone.now()
        for post in Post.objects.all():
            with self.subTest(post=post.title):
                assert post.published_at is not None
                self.assertLess(post.published_at, now - dt.timedelta(days=3))
                self.assertLessEqual(post.created_at, post.published_at)
                for comment in post.comments.all():
                    self.assertGreater(comment.created_at, post.published_at)
                    self.assertLess(comment.created_at, now)
                    if comment.moderated_at is not None:
                        # approved by the post's author an hour later
                        self.assertEqual(
                            comment.moderated_at - comment.created_at, dt.timedelta(hours=1)
                        )
                        self.assertEqual(comment.moderated_by, post.author)
                    if comment.parent is not None:
                        self.assertGreater(comment.created_at, comment.parent.created_at)
                        parent_shown = comment.parent.moderated_at or comment.parent.created_at
                        self.assertGreater(comment.created_at, parent_shown)
                        self.assertEqual(comment.parent.post_id, post.pk)

    def test_the_bodies_are_markdown_with_headings_lists_and_a_link(self):
        for post in Post.objects.all():
            with self.subTest(post=post.title):
                tags = tags_of(str(render_post_markdown(post.body)))
                self.assertTrue({"h2", "a"} <= tags, tags)
                self.assertTrue({"ul", "ol"} & tags, tags)

    def test_exactly_one_comment_is_held_on_a_demo_login_post(self):
        held = Comment.objects.get(status=Comment.Status.PENDING)
        self.assertEqual(held.post.author, user("wanjiru"))
        self.assertIsNone(held.user)
        self.assertEqual((held.name, held.email), ("Sam Okoro", "sam.okoro@example.org"))
        self.assertEqual(
            Comment.objects.filter(status=Comment.Status.APPROVED).count(),
            Comment.objects.count() - 1,
        )
        # The author sees it in her queue; the public does not see it.
        self.assertEqual(list(moderation_queue(user=user("wanjiru"))), [held])
        self.assertNotIn(held.pk, [c.id for c in comment_list_public(post=held.post)])

    def test_visitors_and_members_comment_and_some_reply(self):
        comments = Comment.objects.all()
        self.assertEqual(comments.filter(user__isnull=True).count(), 5)
        self.assertEqual(comments.filter(user__isnull=False).count(), 6)
        self.assertEqual(comments.filter(parent__isnull=False).count(), 3)
        # A visitor's second comment was published at once (approved before).
        tom = comments.filter(email="tom.hughes@example.com").order_by("created_at")
        self.assertEqual([c.moderated_by for c in tom], [user("ana"), None])
        # Each visitor's comment answered a sum of its own, once.
        visitors = Comment.objects.filter(user__isnull=True).count()
        self.assertEqual(SpentChallenge.objects.count(), visitors)

    def test_the_blog_pages_show_it(self):
        client = Client()
        index = client.get(reverse("community:index"))
        self.assertEqual(index.status_code, 200)
        for spec in POSTS:
            self.assertContains(index, spec.slug)
        ana_post = client.get(reverse("community:post", kwargs={"slug": POSTS[0].slug}))
        self.assertContains(ana_post, "blog-comment-body", count=3)
        self.assertNotContains(ana_post, "@example.com")

    def test_loading_again_creates_nothing(self):
        # given
        before = row_counts()
        self.assertTrue(demo.demo_is_loaded())
        # when
        again = demo.demo_load()
        # then
        self.assertEqual((again.posts, again.comments), (0, 0))
        self.assertEqual(again.summary(), "Demo data already present; nothing created.")
        self.assertEqual(row_counts(), before)

    def test_a_run_cut_short_is_completed_by_the_next(self):
        # given: the last post and a comment of the first are gone
        Post.objects.get(slug=POSTS[-1].slug).delete()
        Comment.objects.filter(email="lerato.m@example.com").delete()
        self.assertFalse(community_is_loaded())
        # when
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            again = community_load(
                users={u.email.split("@")[0]: u for u in User.objects.all()},
                collectives={c.slug: c for c in self.collectives()},
            )
        # then
        self.assertEqual((again.posts, again.comments, again.held), (1, 3, 1))
        self.assertTrue(community_is_loaded())
        self.assertEqual(Comment.objects.count(), 11)

    def test_the_blog_leaves_the_books_alone(self):
        # given: the books as the rest of the demo left them
        before = row_counts()
        Comment.objects.all().delete()
        Post.objects.all().delete()
        # when: the blog is made again
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            community_load(
                users={u.email.split("@")[0]: u for u in User.objects.all()},
                collectives={c.slug: c for c in self.collectives()},
            )
        # then: not one ledger row more, and the books still check
        after = row_counts()
        self.assertEqual(
            (after["Transaction"], after["Posting"]),
            (before["Transaction"], before["Posting"]),
        )
        self.assertEqual(ledger_check(), [])

    @staticmethod
    def collectives() -> list:  # type: ignore[type-arg]
        from mutualist.collectives.models import Collective

        return list(Collective.objects.all())


@pytest.mark.django_db
def test_once_adds_the_blog_to_a_demo_loaded_before_it_had_one(capsys):
    # given: the whole demo but its blog
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        demo.demo_load(with_community=False)
    assert not demo.demo_is_loaded()
    assert not Post.objects.exists()
    # when
    call_command("demo", "--once")
    # then
    out = capsys.readouterr().out
    assert out.startswith("Demo data loaded: 0 people, 0 collectives, 0 memberships")
    assert "4 blog posts and 11 comments written." in out
    assert demo.demo_is_loaded()
    assert Comment.objects.filter(status=Comment.Status.PENDING).count() == 1
