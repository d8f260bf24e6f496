"""docs/community/api.md lists every problem code the blog's operations can
answer with, and no other; a code documented both there and on another API
page has the same status on both.

The blog's codes come from its router and schemas, and from the services and
selectors they call. Unlike the funds' page, the blog's page is complete on
its own: it also lists the codes every operation may meet at the API's edge
(``EVERY_OPERATION``), with the status the API guide gives them.
"""

from __future__ import annotations

import re
from pathlib import Path

from mutualist.api.errors import STATUS_CODES

SRC = Path(__file__).resolve().parents[2]  # src/mutualist
DOCS = SRC.parents[1] / "docs"
COMMUNITY_DOCS = DOCS / "community" / "api.md"
OTHER_DOCS = [
    DOCS / "api.md",
    *sorted((DOCS / "work").glob("*.md")),
    *[
        page
        for area in ("billing", "governance", "mutual")
        for page in sorted((DOCS / area).glob("*.md"))
        if "### Codes" in page.read_text()
    ],
]

COMMUNITY_SOURCES = [
    SRC / "api" / "routers" / "community.py",
    SRC / "api" / "schemas" / "community.py",
    *sorted((SRC / "community" / "services").glob("*.py")),
    SRC / "community" / "selectors.py",
]

# Raised by blog code no API request reaches.
NOT_FROM_THE_API = {
    # The page's anti-spam: an account answers no sum and has no honeypot
    # (``comment_submit`` skips both for a signed-in user, and the body has
    # no such fields).
    "honeypot",
    "challenge_missing",
    "challenge_invalid",
    "challenge_expired",
    "challenge_used",
    "wrong_answer",
    # An account comments with its own address, which ``comment_submit``
    # does not check again.
    "invalid_email",
    # Someone else's post or comment is not found first
    # (``post_get_for_author``, ``comment_get_for_moderator``).
    "not_author",
    "not_moderator",
}

# What any operation may answer before or around the blog's own code: the
# API's edge (``mutualist.api.boundary``), authentication, the schemas.
EVERY_OPERATION = {
    "malformed_body",
    "not_authenticated",
    "csrf_failed",
    "not_found",
    "payload_too_large",
    "validation_failed",
    "invalid_characters",
    "server_error",
}

_CODE = re.compile(r"""\b(?:default_)?code\s*=\s*["']([a-z0-9_]+)["']""")
_TABLE_ROW = re.compile(r"^\| (\d{3}) \| (.+?) \| .+ \|$", re.MULTILINE)


def community_codes() -> set[str]:
    """The codes the blog's own code answers API requests with."""
    codes: set[str] = set()
    for path in COMMUNITY_SOURCES:
        codes |= set(_CODE.findall(path.read_text()))
    return codes - NOT_FROM_THE_API


def _documented(pages: list[Path]) -> dict[str, set[int]]:
    documented: dict[str, set[int]] = {}
    for page in pages:
        text = page.read_text()
        table = text[text.index("### Codes") : text.index("## Endpoints")]
        for status, cell in _TABLE_ROW.findall(table):
            for code in re.findall(r"`([a-z0-9_]+)`", cell):
                documented.setdefault(code, set()).add(int(status))
    return documented


def test_every_code_the_blog_can_answer_with_is_on_its_page() -> None:
    missing = (community_codes() | EVERY_OPERATION) - set(_documented([COMMUNITY_DOCS]))

    assert not missing, f"add these to the Codes table in docs/community/api.md: {sorted(missing)}"


def test_the_blogs_page_lists_no_code_the_blog_does_not_have() -> None:
    stale = set(_documented([COMMUNITY_DOCS])) - community_codes() - EVERY_OPERATION

    assert not stale, f"docs/community/api.md lists codes nothing raises: {sorted(stale)}"


def test_a_code_documented_on_two_pages_has_the_same_status_on_both() -> None:
    mine = _documented([COMMUNITY_DOCS])
    others = _documented(OTHER_DOCS)

    assert {
        code: (statuses, others[code])
        for code, statuses in mine.items()
        if code in others and statuses != others[code]
    } == {}
    assert {code: statuses for code, statuses in mine.items() if len(statuses) > 1} == {}


def test_the_codes_every_operation_may_answer_are_the_apis_own() -> None:
    edge: set[str] = set(STATUS_CODES.values())
    for path in (SRC / "api" / "errors.py", SRC / "api" / "boundary.py"):
        edge |= set(_CODE.findall(path.read_text()))

    assert EVERY_OPERATION - edge == set()


def test_the_codes_not_answered_are_still_raised_somewhere() -> None:
    # A code listed as unreachable that nothing raises any more is a stale excuse.
    raised: set[str] = set()
    for path in COMMUNITY_SOURCES:
        raised |= set(_CODE.findall(path.read_text()))

    assert NOT_FROM_THE_API - raised == set()
