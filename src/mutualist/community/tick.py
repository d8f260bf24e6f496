"""The blog's periodic job: forget answered arithmetic questions once they expired."""

from __future__ import annotations

from mutualist.community.services.challenges import challenges_prune
from mutualist.core import tick


def prune_challenges() -> int:
    """Forget the answered comment-form questions that have expired anyway."""
    return challenges_prune()


tick.register(
    "community.prune_challenges",
    prune_challenges,
    description="Forget answered comment-form questions once they have expired anyway.",
)
