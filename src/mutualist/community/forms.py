"""Forms of the blog's pages: a comment, a post, a moderator's correction.

They collect and shape input only. Every rule (a name is required, a website
is http or https, at most two links, the sum's answer) lives in
``community.services``, whose refusals the views put on the field they name;
so the comment form's fields are not required at the form level (the
``required`` attribute is still there for the browser), or a visitor would
read Django's generic message instead of the service's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from mutualist.collectives.models import Collective
from mutualist.community.models import Post
from mutualist.community.services.posts import FIRST_YEAR, LAST_YEAR

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
HONEYPOT_FIELD = "homepage"
# The largest id a database stores (a signed 64-bit integer).
ID_MAX = 2**63 - 1
# An id no row has (they start at 1).
NO_COMMENT = 0


class CommentForm(forms.Form):
    """A classic blog's comment form.

    A visitor gives a name and an email address and answers the sum; a
    signed-in member (``member=True``) does neither: the account's email
    address is used and no question is asked. ``homepage`` is the honeypot:
    hidden from people by a CSS class, filled in by robots.
    """

    name = forms.CharField(
        label="Name",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "required": True}),
    )
    email = forms.CharField(
        label="Email",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "required": True}),
    )
    website = forms.CharField(
        label="Website",
        required=False,
        widget=forms.URLInput(attrs={"autocomplete": "url", "placeholder": "https://"}),
    )
    body = forms.CharField(
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "required": True}),
    )
    # The trap. An innocuous name a form-filling robot fills in; a person
    # never sees it (off-screen, aria-hidden, out of the tab order).
    homepage = forms.CharField(
        label="Leave this field empty (it catches spam robots)",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    answer = forms.CharField(
        label="Anti-spam question",
        required=False,
        help_text="A small sum, so we know you are not a robot. Members who log in skip it.",
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "required": True,
                "size": 4,
                "class": "blog-answer",
            }
        ),
    )
    # The signed, opaque reference to the question (never its answer).
    challenge = forms.CharField(required=False, widget=forms.HiddenInput)
    # The comment answered. Anything but an id is refused (invalid_parent),
    # never quietly posted at the top level.
    parent = forms.IntegerField(
        required=False, min_value=1, max_value=ID_MAX, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, member: bool, question: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member
        self.question = question
        if member:
            for name in ("email", "answer", "challenge"):
                del self.fields[name]
        else:
            self.fields["answer"].label = question or "Anti-spam question"

    def value(self, name: str) -> str:
        """What was typed in field ``name`` (the service judges it), as text."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        value = self.cleaned_data.get(name)
        return "" if value is None else str(value)

    def parent_id(self) -> int | None:
        """The comment answered; ``None`` for a comment on the post.

        A ``parent`` that is no id at all ("abc", "²", "-1", 20 digits) is
        ``NO_COMMENT``, which no comment has: the service refuses it as
        ``invalid_parent``, in its own order (after a closed post, say),
        rather than the comment being posted at the top level.
        """
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        if "parent" in self.errors:
            return NO_COMMENT
        value = self.cleaned_data.get("parent")
        return value if isinstance(value, int) else None


def zone_of(user: Any) -> ZoneInfo:
    """The member's own time zone (their profile's); UTC when unreadable."""
    try:
        return ZoneInfo(user.profile.timezone)
    except (KeyError, ValueError, AttributeError):
        return ZoneInfo("UTC")


def _tags_text(names: Sequence[str]) -> str:
    return ", ".join(names)


def tag_names(text: str) -> list[str]:
    """ "time zones, clients" → ["time zones", "clients"] (the service cleans them)."""
    return [part for part in (text or "").split(",") if part.strip()]


class PostForm(forms.Form):
    title = forms.CharField(label="Title")
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Markdown: **bold**, *italics*, ## headings, lists with -, links as "
        "[text](https://…), images as ![description](https://…). Raw HTML is not shown.",
    )
    excerpt = forms.CharField(
        label="Summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or two sentences for the blog's index, its feed and link previews. "
        "Empty: the start of the text.",
    )
    tags = forms.CharField(
        label="Tags",
        required=False,
        help_text="Separated by commas, e.g. “time zones, clients”. At most 10.",
    )
    collective = forms.ChoiceField(label="Written for", required=False)
    status = forms.ChoiceField(
        label="Status",
        choices=[
            (Post.Status.DRAFT, "Draft: only you see it"),
            (Post.Status.PUBLISHED, "Published"),
        ],
        widget=forms.RadioSelect,
        initial=Post.Status.DRAFT,
        required=False,  # empty: a draft
    )
    published_at = forms.DateTimeField(
        label="Publication date",
        required=False,
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )
    comments_open = forms.BooleanField(label="Readers may comment", required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        collectives: Sequence[Collective],
        zone: ZoneInfo,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.collectives = {str(c.pk): c for c in collectives}
        self.fields["collective"].choices = [("", "Myself (a personal post)")] + [  # type: ignore[attr-defined]
            (str(c.pk), c.name) for c in collectives
        ]
        self.fields[
            "published_at"
        ].help_text = (
            f"Your time ({zone.key}). Empty: now, when you publish. A later date schedules it."
        )

    @classmethod
    def initial_for(cls, post: Post, zone: ZoneInfo) -> dict[str, Any]:
        published = post.published_at
        return {
            "title": post.title,
            "body": post.body,
            "excerpt": post.excerpt,
            "tags": _tags_text([t.name for t in post.tags.all()]),
            "collective": str(post.collective_id or ""),
            "status": post.status,
            "published_at": (
                timezone.localtime(published, zone).replace(tzinfo=None) if published else None
            ),
            "comments_open": post.comments_open,
        }

    def clean_published_at(self) -> dt.datetime | None:
        """The wall-clock time typed, read in the author's own time zone."""
        value = self.cleaned_data.get("published_at")
        if value is None:
            return None
        # Before any conversion: year 1 read in Nairobi is year 0 in UTC, an
        # OverflowError (and such a date means nothing for a post).
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise forms.ValidationError(
                f"Choose a date between the years {FIRST_YEAR} and {LAST_YEAR}."
            )
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        aware = naive.replace(tzinfo=self.zone, fold=0)
        if aware.astimezone(dt.UTC).astimezone(self.zone).replace(tzinfo=None) != naive:
            raise forms.ValidationError(
                "That time does not exist in your time zone (the clocks skip it)."
            )
        return aware

    def chosen_collective(self) -> Collective | None:
        return self.collectives.get(self.cleaned_data.get("collective") or "")

    def service_fields(self) -> dict[str, Any]:
        """The service's keyword arguments, from what was typed."""
        data = self.cleaned_data
        return {
            "title": data.get("title") or "",
            "body": data.get("body") or "",
            "excerpt": data.get("excerpt") or "",
            "tags": tag_names(data.get("tags") or ""),
            "collective": self.chosen_collective(),
            "status": data.get("status") or Post.Status.DRAFT,
            "published_at": data.get("published_at"),
            "comments_open": bool(data.get("comments_open")),
        }


class CommentEditForm(forms.Form):
    """A moderator's correction: the name, the website, the text."""

    name = forms.CharField(label="Name")
    website = forms.CharField(label="Website", required=False, widget=forms.URLInput())
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Cleaned again when saved: only the allowed HTML is kept.",
    )
