"""docs/api.md and the domains' API pages list every problem code the API can
answer with, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from mutualist.api.errors import STATUS_CODES
from mutualist.api.tests.test_community_problem_codes import COMMUNITY_DOCS as COMMUNITY_PAGE
from mutualist.api.tests.test_community_problem_codes import COMMUNITY_SOURCES
from mutualist.api.tests.test_community_problem_codes import (
    NOT_FROM_THE_API as BLOG_NOT_FROM_THE_API,
)
from mutualist.api.tests.test_mutual_problem_codes import MUTUAL_DOCS as MUTUAL_PAGE
from mutualist.api.tests.test_mutual_problem_codes import MUTUAL_SOURCES
from mutualist.api.tests.test_mutual_problem_codes import (
    NOT_FROM_THE_API as FUNDS_NOT_FROM_THE_API,
)

SRC = Path(__file__).resolve().parents[2]  # src/mutualist
DOCS = SRC.parents[1] / "docs" / "api.md"
# The work domain documents its codes on its own pages, one per area, each
# with a "### Codes" table ending before "## Endpoints", as in api.md.
WORK_DOCS = sorted((SRC.parents[1] / "docs" / "work").glob("*.md"))
# Billing's API page (docs/billing/api.md) does the same; the other billing
# pages are guides for people, with no codes table.
BILLING_DOCS = [
    page
    for page in sorted((SRC.parents[1] / "docs" / "billing").glob("*.md"))
    if "### Codes" in page.read_text()
]
# Governance's API page (docs/governance/api.md) too.
GOVERNANCE_DOCS = [
    page
    for page in sorted((SRC.parents[1] / "docs" / "governance").glob("*.md"))
    if "### Codes" in page.read_text()
]
# And the funds' (docs/mutual/api.md; ``test_mutual_problem_codes`` checks
# that page on its own, and names the funds' sources and unreachable codes).
MUTUAL_DOCS = [MUTUAL_PAGE]
# And the blog's (docs/community/api.md; ``test_community_problem_codes``
# checks that page on its own, and names the blog's sources and unreachable codes).
COMMUNITY_DOCS = [COMMUNITY_PAGE]

# The code the API answers with: its own modules, and the services, selectors and
# validators its routers call.
API_SOURCES = [
    *sorted((SRC / "api").rglob("*.py")),
    SRC / "core" / "errors.py",
    SRC / "core" / "reference.py",
    SRC / "members" / "throttle.py",
    SRC / "members" / "availability.py",
    *sorted((SRC / "members" / "services").glob("*.py")),
    SRC / "collectives" / "selectors.py",
    *sorted((SRC / "collectives" / "services").glob("*.py")),
    SRC / "core" / "money.py",
    SRC / "ledger" / "selectors.py",
    *sorted((SRC / "ledger" / "services").glob("*.py")),
    *sorted((SRC / "work").glob("*.py")),
    *sorted((SRC / "work" / "selectors").glob("*.py")),
    *sorted((SRC / "work" / "services").glob("*.py")),
    *sorted((SRC / "billing" / "services").glob("*.py")),
    SRC / "billing" / "selectors" / "__init__.py",
    SRC / "billing" / "selectors" / "reports.py",
    SRC / "billing" / "accounts.py",
    SRC / "billing" / "recipients.py",
    SRC / "billing" / "pdf.py",
    SRC / "governance" / "selectors.py",
    SRC / "governance" / "kinds.py",
    SRC / "governance" / "handlers.py",
    *sorted((SRC / "governance" / "services").glob("*.py")),
]

# Raised by functions the API never calls: sign-up, and the web pages that
# verify an address or confirm an email change from a mailed link.
WEB_ONLY = {
    "weak_password",
    "handle_unavailable",
    "already_verified",
    "invalid_token",
    "expired_token",
    "token_used",
}

# Raised by ledger and money code the API never reaches: opening accounts by
# type and owner (the API opens only the collective's own asset accounts, and
# its opening-balance equity and trading accounts, whose types and owners are
# always valid), importing ECB rates (a command), splitting by weights
# (billing, later), reading typed amounts in a locale (the web forms), and
# postings across two collectives' books (a conversion's accounts and an
# opening balance's account are first looked up in the collective's own, and
# a reversal mirrors a transaction of one collective's books).
NOT_FROM_THE_API = {
    "invalid_account_type",
    "invalid_owner",
    "invalid_owner_kind",
    "invalid_rates_file",
    "no_weights",
    "negative_weight",
    "zero_weights",
    "invalid_weight",
    "amount_required",
    "mixed_books",
    # A member's payout setting is set by the member themself
    # (``billing.services.payouts.payout_setting_set``): the API passes the
    # caller as both, after finding them an active member of the collective.
    "not_your_setting",
    # Bylaws change only by a bylaws_change proposal now, whose handler first
    # refuses an effective date before the vote closes (``effective_before_close``),
    # which is never before today; a new collective's first version starts today.
    "effective_date_in_past",
    # The proxies router always names a delegate (an unknown handle is its own
    # ``delegate_not_member``) and finds a proxy to revoke only among the
    # caller's own (``delegation_get_for_user``).
    "delegate_required",
    "not_yours",
}

# Raised from a table of refusals (``billing.services.payments._require_payable``:
# a payment on a draft, void or paid invoice), which the pattern below cannot see.
TABLED_CODES = {"invoice_draft", "invoice_void", "invoice_paid"}
TABLED_IN = SRC / "billing" / "services" / "payments.py"

# Built with a format string (``governance.services.proposals._percent``:
# ``f"{label}_out_of_range"`` for the quorum and the threshold).
FORMATTED_CODES = {"quorum_out_of_range", "threshold_out_of_range"}
FORMATTED_IN = SRC / "governance" / "services" / "proposals.py"

_CODE = re.compile(r"""\b(?:default_)?code\s*=\s*["']([a-z0-9_]+)["']""")
_TABLE_ROW = re.compile(r"^\| (\d{3}) \| (.+?) \| .+ \|$", re.MULTILINE)


def _codes_in_source() -> set[str]:
    codes: set[str] = set(STATUS_CODES.values())
    codes |= {code for code in TABLED_CODES if f'"{code}"' in TABLED_IN.read_text()}
    formatted = FORMATTED_IN.read_text()
    if 'code=f"{label}_out_of_range"' in formatted:
        codes |= {code for code in FORMATTED_CODES if f'"{code.split("_")[0]}"' in formatted}
    for path in API_SOURCES:
        if "tests" not in path.parts and path not in [*MUTUAL_SOURCES, *COMMUNITY_SOURCES]:
            codes |= set(_CODE.findall(path.read_text()))
    for path in MUTUAL_SOURCES:
        codes |= set(_CODE.findall(path.read_text())) - FUNDS_NOT_FROM_THE_API
    for path in COMMUNITY_SOURCES:
        codes |= set(_CODE.findall(path.read_text())) - BLOG_NOT_FROM_THE_API
    return codes - WEB_ONLY - NOT_FROM_THE_API


def _documented() -> dict[str, set[int]]:
    documented: dict[str, set[int]] = {}
    for page in [DOCS, *WORK_DOCS, *BILLING_DOCS, *GOVERNANCE_DOCS, *MUTUAL_DOCS, *COMMUNITY_DOCS]:
        text = page.read_text()
        table = text[text.index("### Codes") : text.index("## Endpoints")]
        for status, cell in _TABLE_ROW.findall(table):
            for code in re.findall(r"`([a-z0-9_]+)`", cell):
                documented.setdefault(code, set()).add(int(status))
    return documented


def test_every_code_the_api_can_answer_with_is_documented():
    missing = _codes_in_source() - set(_documented())

    assert not missing, f"add these to the Codes table in docs/api.md: {sorted(missing)}"


def test_the_docs_list_no_code_the_api_does_not_have():
    stale = set(_documented()) - _codes_in_source()

    assert not stale, f"docs/api.md lists codes nothing raises: {sorted(stale)}"


def test_each_documented_code_has_one_status_and_the_bare_statuses_theirs():
    documented = _documented()
    bare = {status: code for code, [status] in documented.items() if code in STATUS_CODES.values()}

    assert {code: statuses for code, statuses in documented.items() if len(statuses) > 1} == {}
    assert bare == STATUS_CODES
