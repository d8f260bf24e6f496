"""The blog's pages under /blog/. The fixed paths come before ``<slug>/``;
``services.posts.RESERVED_SLUGS`` keeps a post from taking one of them."""

from __future__ import annotations

from django.urls import path
from django.views.decorators.http import require_safe

from mutualist.community import views
from mutualist.community.feeds import LatestPostsFeed, TagPostsFeed

app_name = "community"

urlpatterns = [
    path("blog/", views.index, name="index"),
    path("blog/feed/", require_safe(LatestPostsFeed()), name="feed"),
    path("blog/write/", views.post_new, name="post_new"),
    path("blog/mine/", views.mine, name="mine"),
    path("blog/moderation/", views.moderation, name="moderation"),
    path("blog/moderation/<int:comment_id>/", views.comment_moderate, name="comment_moderate"),
    path("blog/moderation/<int:comment_id>/edit/", views.comment_edit, name="comment_edit"),
    path("blog/comments/<int:comment_id>/", views.comment, name="comment"),
    path("blog/tags/<slug:slug>/", views.tag, name="tag"),
    path("blog/tags/<slug:slug>/feed/", require_safe(TagPostsFeed()), name="tag_feed"),
    path("blog/<slug:slug>/", views.post, name="post"),
    path("blog/<slug:slug>/comments/", views.comment_create, name="comment_create"),
    path("blog/<slug:slug>/edit/", views.post_edit, name="post_edit"),
    path("blog/<slug:slug>/delete/", views.post_delete_view, name="post_delete"),
]
