"""Read-only admin for operators: posts and comments are written and
moderated through the services (the blog's pages and the API), so the
sanitizer and the moderation rules are never bypassed."""

from __future__ import annotations

from django.contrib import admin

from mutualist.collectives.admin import ReadOnlyAdminMixin
from mutualist.community.models import Comment, Post, Tag


class _ReadOnly(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


@admin.register(Post)
class PostAdmin(_ReadOnly):
    list_display = ("title", "author", "collective", "status", "published_at")
    list_filter = ("status",)
    search_fields = ("title", "slug")


@admin.register(Comment)
class CommentAdmin(_ReadOnly):
    list_display = ("id", "post", "name", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "email")


@admin.register(Tag)
class TagAdmin(_ReadOnly):
    list_display = ("name", "slug")
