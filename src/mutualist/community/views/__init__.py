"""The blog's pages: reading (the index, tags, a post with its comments),
commenting, writing one's own posts, and moderating comments.

Thin views: a permission-scoped selector (404 for whoever may not see the
post or the comment), a form, one service call, then a render or a redirect
with a message. A service's ``DomainError`` lands on the form field it names.
Every response under /blog/ carries the blog's Content-Security-Policy
(``community.middleware``).
"""

from __future__ import annotations

from mutualist.community.views.comments import comment_create
from mutualist.community.views.moderation import comment_edit, comment_moderate, moderation
from mutualist.community.views.reading import comment, index, post, tag
from mutualist.community.views.writing import mine, post_delete_view, post_edit, post_new

__all__ = [
    "comment",
    "comment_create",
    "comment_edit",
    "comment_moderate",
    "index",
    "mine",
    "moderation",
    "post",
    "post_delete_view",
    "post_edit",
    "post_new",
    "tag",
]
