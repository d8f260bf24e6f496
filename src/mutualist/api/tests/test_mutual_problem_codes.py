"""docs/mutual/api.md lists every problem code the funds' operations can
answer with, and no other; a code documented both there and on another API
page has the same status on both.

The funds' codes come from the funds router and schemas, and from the
services, rules and handlers they (and the decisions API, for the funds'
proposal kinds) call. Codes the API answers with everywhere (``not_found``,
``validation_failed``...) are documented once, on the other pages
(``test_problem_codes``); a funds' code documented there counts too.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]  # src/mutualist
DOCS = SRC.parents[1] / "docs"
MUTUAL_DOCS = DOCS / "mutual" / "api.md"
OTHER_DOCS = [
    DOCS / "api.md",
    *sorted((DOCS / "work").glob("*.md")),
    *[p for p in sorted((DOCS / "billing").glob("*.md")) if "### Codes" in p.read_text()],
    *[p for p in sorted((DOCS / "governance").glob("*.md")) if "### Codes" in p.read_text()],
]

MUTUAL_SOURCES = [
    SRC / "api" / "routers" / "mutual.py",
    SRC / "api" / "routers" / "mutual_solvency.py",
    SRC / "api" / "schemas" / "mutual.py",
    *sorted((SRC / "mutual" / "services").rglob("*.py")),
    SRC / "mutual" / "rules.py",
    SRC / "mutual" / "handlers.py",
    SRC / "mutual" / "selectors.py",
]

# Codes the pattern below cannot see (none at present).
CONDITIONAL_CODES: set[str] = set()

# Raised by funds code no request reaches.
NOT_FROM_THE_API = {
    # Outsiders meet the collective's 404 first, and a deactivated account's
    # token is refused (401) before any service runs.
    "not_a_member",
    # Applied when a vote closes (``mutualist tick``), not answered to a request:
    # enacting rules, a write-off's credit note, a claim's vote outcome.
    "proposal_not_passed",
    "no_coordinator",
    # The scheduler's sick-pay run.
    "invalid_month",
    "month_not_over",
    # Paying a claim of a kind with no payout (only the scheduler's ``claim_pay``).
    "not_payable",
    # The router picks each kind's service by the fund's own kind.
    "not_sick_pay_fund",
    "not_a_guarantee_fund",
    "wrong_fund",
    # The API's edge refuses a NUL in any text first (``invalid_characters``).
    "invalid_text",
    # ``claim_approval`` proposals are opened by the claim, never by members
    # (``kind_not_proposable`` first).
    "not_decided_by_vote",
}

_CODE = re.compile(r"""\b(?:default_)?code\s*=\s*["']([a-z0-9_]+)["']""")
_TABLE_ROW = re.compile(r"^\| (\d{3}) \| (.+?) \| .+ \|$", re.MULTILINE)


def _codes_in_source() -> set[str]:
    codes = set(CONDITIONAL_CODES)
    for path in MUTUAL_SOURCES:
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


def test_every_code_the_funds_can_answer_with_is_documented() -> None:
    documented = set(_documented([MUTUAL_DOCS])) | set(_documented(OTHER_DOCS))

    missing = _codes_in_source() - documented

    assert not missing, f"add these to the Codes table in docs/mutual/api.md: {sorted(missing)}"


def test_the_funds_page_lists_no_code_the_funds_do_not_have() -> None:
    stale = set(_documented([MUTUAL_DOCS])) - _codes_in_source()

    assert not stale, f"docs/mutual/api.md lists codes nothing raises: {sorted(stale)}"


def test_a_code_documented_on_two_pages_has_the_same_status_on_both() -> None:
    mine = _documented([MUTUAL_DOCS])
    others = _documented(OTHER_DOCS)

    assert {
        code: (statuses, others[code])
        for code, statuses in mine.items()
        if code in others and statuses != others[code]
    } == {}


def test_the_codes_not_answered_are_still_raised_somewhere() -> None:
    # A code listed as unreachable that nothing raises any more is a stale excuse.
    raised: set[str] = set()
    for path in MUTUAL_SOURCES:
        raised |= set(_CODE.findall(path.read_text()))

    assert NOT_FROM_THE_API - raised == set()
