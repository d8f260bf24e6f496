"""The community blog: posts by members, comments by anyone, held until trusted.

A post is Markdown written by a member, optionally on behalf of a collective
they belong to; it is public once published and its date has come. A comment
is stored already cleaned (``sanitize.clean_comment_html``) and shown only
once approved. The commenter's email address is kept for moderators and for
the "approved before" rule; it never leaves through a public page, a feed or
the API. The arithmetic question on the comment form travels signed, with
only a keyed hash of its answer, so the answer is not in the page; a
question once answered is recorded (``SpentChallenge``) and never accepted
again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

TITLE_MAX = 200
SLUG_MAX = 200
BODY_MAX = 100_000
EXCERPT_MAX = 300
TAG_MAX = 50
NAME_MAX = 100
WEBSITE_MAX = 300


class Tag(models.Model):
    name = models.CharField(max_length=TAG_MAX)
    slug = models.SlugField(max_length=TAG_MAX + 10)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="community_tag_slug_unique"),
            models.UniqueConstraint(Lower("name"), name="community_tag_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="blog_posts"
    )
    # Written on behalf of a collective the author belonged to when writing;
    # its coordinators moderate the comments too.
    collective = models.ForeignKey(
        "collectives.Collective",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="blog_posts",
    )
    title = models.CharField(max_length=TITLE_MAX)
    slug = models.SlugField(max_length=SLUG_MAX)
    # Markdown as written; rendered and sanitized on display (sanitize.render_post_markdown).
    body = models.TextField(max_length=BODY_MAX)
    # A summary for the index, feeds and link previews; empty: the body's start.
    excerpt = models.CharField(max_length=EXCERPT_MAX, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Public from this instant (a later date schedules the post).
    published_at = models.DateTimeField(null=True, blank=True)
    comments_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="community_post_slug_unique"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="community_post_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]),
                name="community_post_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "published_at"], name="community_post_pub_idx")]

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Held for moderation"
        APPROVED = "approved", "Approved"
        SPAM = "spam", "Spam"
        TRASH = "trash", "Trash"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    # A reply; always to a comment of the same post (comment_submit checks).
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    # The member who wrote it while signed in; empty for a visitor.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="blog_comments",
    )
    name = models.CharField(max_length=NAME_MAX)
    # Never published: only moderators see it (selectors keep it out of the rest).
    email = models.EmailField()
    website = models.URLField(max_length=WEBSITE_MAX, blank=True)
    # Stored cleaned by clean_comment_html, and cleaned again when shown.
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # A keyed hash of the address it came from (never the address itself), for
    # the per-address rate limit.
    address_digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "spam", "trash"]),
                name="community_comment_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="community_comment_not_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["post", "status"], name="community_comment_post_idx"),
            models.Index(
                fields=["address_digest", "created_at"], name="community_comment_addr_idx"
            ),
            models.Index(Lower("email"), "status", name="community_comment_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.post_id}"


class SpentChallenge(models.Model):
    """An arithmetic question that was answered (rightly or not): never again.

    The question itself is not stored: the form carries it signed and
    timestamped (``services.challenges``), with a keyed hash of the answer in
    place of the answer, so showing a post writes nothing. Redeeming inserts
    the question's nonce here; the primary key makes it single use however
    many requests race, and ``mutualist tick`` forgets nonces once their
    question has expired anyway.
    """

    nonce = models.CharField(max_length=32, primary_key=True)
    spent_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.nonce
