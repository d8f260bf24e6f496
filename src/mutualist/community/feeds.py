"""The blog's Atom feeds: the latest public posts, and those of one tag.

Each entry carries the post's sanitized HTML (``render_post_markdown``, the
same as the page), its tags as categories, and the author's display name:
never an email address (``item_author_email`` is ``None``, so Django writes
no ``<email>`` element). Comments are not in the feeds.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, SyndicationFeed
from django.utils.safestring import SafeString

from mutualist.community.models import Post, Tag
from mutualist.community.sanitize import render_post_markdown
from mutualist.community.selectors import post_list_public, tag_get_public
from mutualist.community.views._common import absolute, byline, post_url

if TYPE_CHECKING:  # Feed is generic only in django-stubs
    _LatestFeed = Feed[Post, None]
    _TagFeed = Feed[Post, Tag]
else:
    _LatestFeed = _TagFeed = Feed

FEED_SIZE = 20
SUBTITLE = "Stories, advice and calls for members from freelance collectives."


class _PostEntries:
    """How a post becomes a feed entry (both feeds)."""

    feed_type: type[SyndicationFeed] = Atom1Feed
    author_email = None
    item_author_email = None

    def item_title(self, item: Post) -> str:
        return item.title

    def item_link(self, item: Post) -> str:
        return post_url(item)

    def item_description(self, item: Post) -> SafeString:
        return render_post_markdown(item.body)

    def item_pubdate(self, item: Post) -> dt.datetime | None:
        return item.published_at

    def item_updateddate(self, item: Post) -> dt.datetime:
        # A scheduled post was last saved before it went out: never "updated"
        # before it was published.
        published = item.published_at
        return max(item.updated_at, published) if published else item.updated_at

    def item_author_name(self, item: Post) -> str:
        return byline(item).name

    def item_author_link(self, item: Post) -> str | None:
        profile_url = byline(item).profile_url
        return absolute(profile_url) if profile_url else None

    def item_categories(self, item: Post) -> list[str]:
        return [tag.name for tag in item.tags.all()]


class LatestPostsFeed(_PostEntries, _LatestFeed):
    def title(self) -> str:
        return f"{settings.SITE_NAME} blog"

    def subtitle(self) -> str:
        return SUBTITLE

    def link(self) -> str:
        return reverse("community:index")

    def feed_url(self) -> str:
        return reverse("community:feed")

    def items(self) -> QuerySet[Post]:
        return post_list_public()[:FEED_SIZE]


class TagPostsFeed(_PostEntries, _TagFeed):
    """The latest public posts with one tag."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Tag:
        return tag_get_public(slug=str(kwargs["slug"]))

    def title(self, obj: Tag) -> str:
        return f"{settings.SITE_NAME} blog: {obj.name}"

    def subtitle(self, obj: Tag) -> str:
        return f"{SUBTITLE} Posts tagged “{obj.name}”."

    def link(self, obj: Tag) -> str:
        return reverse("community:tag", kwargs={"slug": obj.slug})

    def feed_url(self, obj: Tag) -> str:
        return reverse("community:tag_feed", kwargs={"slug": obj.slug})

    def items(self, obj: Tag) -> QuerySet[Post]:
        return post_list_public(tag=obj)[:FEED_SIZE]
