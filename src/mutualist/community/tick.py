"""The blog's periodic job: forget arithmetic questions no one can answer any more."""

from __future__ import annotations

from mutualist.community.services.challenges import challenges_prune
from mutualist.core import tick


def prune_challenges() -> int:
    """Delete comment-form questions older than their expiry."""
    return challenges_prune()


tick.register(
    "community.prune_challenges",
    prune_challenges,
    description="Delete the comment form's arithmetic questions past their expiry.",
)
