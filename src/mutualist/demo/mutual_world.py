"""The demo's mutual funds, as plain data: Manila's sick-pay, payment
guarantee and income-gap funds, the votes that set them up and changed the
split, who takes part, and the claims.

``mutualist.demo.mutual`` makes them through the funds' services, travelling
in time to each moment. A moment is a day counted from an anchor, at a time
of day in Manila (10:00 unless given), chosen so that the day is the same in
Manila and in UTC, the day the services see:

- ``"months"``: the first day of the month ``month`` months from the one the
  demo is loaded in (``month=-2``: two months before);
- ``"bylaws"``: the day Manila's 12 % bylaws took effect (the governance
  demo's anchor: the day after the billing demo's last invoice; on a fresh
  demo, the Thursday of last week);
- ``"due"``: the day Lone Star's onboarding invoice (``MNL-…-0001``) fell due
  (the Saturday before the current week);
- ``"today"``: the day the demo is loaded.

On a demo loaded on Friday 27 November 2026, Manila Virtual Assistants has:

- a sick-pay fund since 1 September (voted in August, seven members, tiers
  of ₱15,000 to ₱50,000 a month for deposits of 4.5 %). Carlo has been
  100 % sick since 21 September (knee surgery; he told the group his name,
  not his reason). After the 30-day waiting period the 1 November run paid
  his October gift, ₱5,322.58 (11 days of ₱15,000), drawn from the others'
  accounts; his claim is ongoing. Liza and Bea earn in Australian dollars
  and pounds: Liza's were paid out to her in pesos, so her deposits are in
  arrears; Bea's pesos ran short in November, and that deposit was taken
  from her pounds at the day's rate;
- a payment guarantee fund and an income-gap fund, voted in right after the
  12 % treasury share (from 19 November), each started with the treasury's
  seed (US$500 and ₱20,000), and a split change that adds their levies
  (3 % and 2 %, from 20 November), so Casa Verde's payment for Marisol's
  website work paid ₱540 and ₱360 into them;
- Paolo, without a client since the summer, topped up by ₱5,000 for last
  month (nothing came in for him), approved by Bea;
- Rico's claim on Lone Star's onboarding invoice, more than a day overdue
  on Monday: Bea and Marisol approved it and the fund advanced 80 % of the
  members' unpaid shares (US$172.80: Rico's $103.68, paid out to his Wise
  account that day, and Ana's $69.12). On Wednesday Lone Star paid $192
  on account, querying two hours: the members' parts of it went back to
  the fund, which is whole again; $48 is still overdue;
- Marisol's proposal to raise the income-gap floor to ₱15,000, open for a
  week, with four votes (Ana's among them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mutualist.demo.billing_world import DemoItem
from mutualist.demo.governance_world import DemoVote

MANILA = "manila-va"
COORDINATOR = "ana"


@dataclass(frozen=True)
class At:
    """A moment: ``day`` days from ``anchor`` (see the module), at ``time`` in Manila."""

    anchor: str
    day: int = 0
    time: str = "10:00"
    month: int = 0  # only for the "months" anchor


@dataclass(frozen=True)
class DemoFundSetup:
    """A coordinator sets a fund up; its first rules go to the members' vote."""

    kind: str
    opens: At
    days_open: int
    effective: At
    rules: Mapping[str, Any]
    body: str
    votes: tuple[DemoVote, ...]


@dataclass(frozen=True)
class DemoLevies:
    """The bylaws change that adds the funds' levies to the split rule."""

    author: str
    title: str
    body: str
    opens: At
    days_open: int
    effective: At
    shares: Mapping[str, str]  # the whole split rule of the new version
    notes: str
    threshold: str
    votes: tuple[DemoVote, ...]


@dataclass(frozen=True)
class DemoSeed:
    """Money the treasury gives a pooled fund to start it, as its rules vote said."""

    kind: str
    amount: str
    currency: str
    at: At
    memo: str


@dataclass(frozen=True)
class DemoJoin:
    """``login`` joins the sick-pay fund at the tier that pays ``payout`` a month."""

    login: str
    payout: str
    at: At


@dataclass(frozen=True)
class DemoApproval:
    login: str
    hours: int  # after the claim was made
    note: str = ""


@dataclass(frozen=True)
class DemoSickClaim:
    login: str
    starts: At  # reported that day, at that time
    percent: int
    reason: str
    disclosure: str
    approvals: tuple[DemoApproval, ...]


@dataclass(frozen=True)
class DemoAgreement:
    client: str  # ``work_world`` client key
    signed: At
    recorded: At
    reference: str


@dataclass(frozen=True)
class DemoPaidInvoice:
    """An invoice to ``client`` (a ``work_world`` client key) for fixed
    ``items``, issued at ``issued`` and paid in full at ``paid``."""

    key: str  # idempotency key of its payment, under the demo's prefix
    client: str
    issued: At
    items: tuple[DemoItem, ...]
    notes: str
    paid: At
    method: str
    reference: str


@dataclass(frozen=True)
class DemoGuaranteeClaim:
    """``login`` claims the members' unpaid shares of the billing demo's
    invoice ``invoice`` (a ``billing_world`` key); the coordinator pays the
    claimant their advance out; later the client pays ``part`` of it."""

    login: str
    invoice: str
    at: At
    reason: str
    approvals: tuple[DemoApproval, ...]
    payout_key: str
    payout_at: At
    payout_reference: str
    payment_key: str
    payment_at: At
    payment_part: str
    payment_method: str
    payment_reference: str


@dataclass(frozen=True)
class DemoTopUpClaim:
    login: str
    at: At  # the claim is for the month before this day's
    reason: str
    disclosure: str
    approvals: tuple[DemoApproval, ...]


@dataclass(frozen=True)
class DemoRuleVote:
    """A fund-rule change left open: it takes effect on the first day of the
    month after its vote closes, if it passes."""

    kind: str
    author: str
    title: str
    body: str
    opens: At
    days_open: int
    rules: Mapping[str, Any]
    votes: tuple[DemoVote, ...] = field(default_factory=tuple)


# ₱15,000 to ₱50,000 a month, in steps of ₱5,000; each deposits 4.5 % of its gift.
SICK_PAY_TIERS = tuple(
    {"deposit": f"{payout * 45 // 1000}.00", "payout": f"{payout}.00"}
    for payout in range(15_000, 50_001, 5_000)
)

FUND_SETUPS: tuple[DemoFundSetup, ...] = (
    DemoFundSetup(
        kind="sick_pay",
        opens=At("months", month=-3, day=3),
        days_open=7,
        effective=At("months", month=-2),
        rules={"tiers": [dict(tier) for tier in SICK_PAY_TIERS], "min_members": 5},
        body=(
            "A bread fund of our own: each of us deposits every month into our own "
            "account in the fund, and when one of us is sick the others' accounts "
            "pay them a monthly gift.\n\n"
            "- Eight tiers, **₱15,000 to ₱50,000 a month**; the deposit is 4.5 % of "
            "the gift (₱675 to ₱2,250).\n"
            "- Gifts start after 30 days and last at most two years.\n"
            "- We are seven: the bread funds say 20 to 50 share the risk best, so "
            "we start from five and grow."
        ),
        votes=(
            DemoVote("ana", "yes", 0),
            DemoVote("carlo", "yes", 2, "A month off sick shouldn't mean a month without pay."),
            DemoVote("bea", "yes", 6),
            DemoVote("rico", "yes", 21),
            DemoVote("paolo", "yes", 27),
            DemoVote("marisol", "yes", 30),
            DemoVote("liza", "yes", 50, "I'll start on the lowest tier."),
        ),
    ),
    DemoFundSetup(
        kind="guarantee",
        opens=At("bylaws", day=-8),
        days_open=7,
        effective=At("bylaws"),
        rules={"overdue_days": 1},
        body=(
            "Our clients pay from Austin, Sydney and London, and some pay late. With "
            "this fund the members are paid their share of an overdue invoice and the "
            "fund waits for the client instead of us.\n\n"
            "- A claim can be made once an invoice is **more than a day overdue**: "
            "rent does not wait either.\n"
            "- The fund pays 80 % of the members' unpaid shares, within the client's "
            "credit limit (two months of what it paid us in the last year).\n"
            "- When the client pays, the fund is repaid first.\n\n"
            "If we vote it in, the treasury starts it with **US$500**, as the 12 % "
            "vote promised; the levy in the split change fills it from then on."
        ),
        votes=(
            DemoVote("ana", "yes", 0),
            DemoVote("rico", "yes", 3, "Lone Star's onboarding invoice falls due next week."),
            DemoVote("bea", "yes", 20),
            DemoVote("marisol", "yes", 26),
            DemoVote("paolo", "yes", 48),
        ),
    ),
    DemoFundSetup(
        kind="income_gap",
        opens=At("bylaws", day=-8, time="10:05"),
        days_open=7,
        effective=At("bylaws"),
        rules={"floor": "12000.00", "cap": "5000.00"},
        body=(
            "Between two contracts some of us earn nothing for a month. This fund "
            "tops a month's income through the collective up towards a floor, "
            "judged from our books, with no paperwork.\n\n"
            "- Floor **₱12,000**, top-up at most **₱5,000**, three times a year at "
            "most, after three months in the collective.\n"
            "- One member approves a claim.\n\n"
            "The treasury starts it with **₱20,000**; the levy fills it from then on."
        ),
        votes=(
            DemoVote("ana", "yes", 0),
            DemoVote("paolo", "yes", 4, "Last month was empty for me; this is what we're for."),
            DemoVote("bea", "yes", 20),
            DemoVote("carlo", "yes", 30),
            DemoVote(
                "rico",
                "no",
                44,
                "Guarantee first; two new funds out of one small treasury is thin.",
            ),
        ),
    ),
)

LEVIES = DemoLevies(
    author="ana",
    title="Levies for the guarantee (3 %) and income-gap (2 %) funds",
    body=(
        "The two new funds need money coming in, not only the treasury's seed. From "
        "every payment of an invoice issued from the day this takes effect:\n\n"
        "- **3 %** to the payment guarantee fund,\n"
        "- **2 %** to the income-gap fund,\n"
        "- the treasury keeps its **12 %**, and **83 %** goes to the members who "
        "did the work.\n\n"
        "A change to the split asks a two-thirds majority."
    ),
    opens=At("bylaws", day=-8, time="10:10"),
    days_open=7,
    effective=At("bylaws", day=1),
    shares={"treasury": "12.00", "guarantee": "3.00", "income_gap": "2.00"},
    notes="Levies of 3 % for the guarantee fund and 2 % for the income-gap fund, by vote.",
    threshold="66.67",
    votes=(
        DemoVote("ana", "yes", 0),
        DemoVote("bea", "yes", 5),
        DemoVote("carlo", "yes", 22),
        DemoVote("rico", "yes", 24),
        DemoVote("marisol", "yes", 28),
        DemoVote("paolo", "no", 50, "83 % of a night-shift rate is thin; 2 % would do for now."),
    ),
)

SEEDS: tuple[DemoSeed, ...] = (
    DemoSeed(
        kind="guarantee",
        amount="500.00",
        currency="USD",
        at=At("bylaws"),
        memo="The treasury's seed for the payment guarantee fund, as its rules vote said",
    ),
    DemoSeed(
        kind="income_gap",
        amount="20000.00",
        currency="PHP",
        at=At("bylaws", time="10:02"),
        memo="The treasury's seed for the income-gap fund, as its rules vote said",
    ),
)

SICK_PAY_MEMBERS: tuple[DemoJoin, ...] = (
    DemoJoin("ana", "50000.00", At("months", month=-3, day=11, time="11:00")),
    DemoJoin("carlo", "15000.00", At("months", month=-3, day=11, time="14:00")),
    DemoJoin("rico", "15000.00", At("months", month=-3, day=12)),
    DemoJoin("bea", "15000.00", At("months", month=-3, day=13)),
    DemoJoin("paolo", "15000.00", At("months", month=-3, day=14, time="17:00")),
    DemoJoin("marisol", "20000.00", At("months", month=-3, day=17)),
    DemoJoin("liza", "15000.00", At("months", month=-3, day=19, time="16:00")),
)

SICK_CLAIM = DemoSickClaim(
    login="carlo",
    starts=At("months", month=-2, day=20, time="11:00"),
    percent=100,
    reason=(
        "Knee surgery for a torn ligament, then physiotherapy; the surgeon says ten "
        "to twelve weeks before I can work again."
    ),
    disclosure="name_only",
    approvals=(
        DemoApproval("ana", 3, "Get well soon, Carlo."),
        DemoApproval("bea", 22),
    ),
)

# ``mutualist tick`` runs all day; these are the runs that did something:
# each month's deposits (and last month's sick pay), then the next runs,
# which settle the deposits left in arrears when money came in meanwhile.
TICKS: tuple[At, ...] = (
    At("months", month=-2, time="08:05"),
    At("months", month=-1, time="08:05"),
    At("months", month=0, time="08:05"),
    At("months", month=0, time="08:35"),
    At("bylaws", day=3, time="08:05"),
)

AGREEMENT = DemoAgreement(
    client="lonestar",
    signed=At("bylaws", day=-2),
    recorded=At("bylaws", time="10:30"),
    reference="Payment agreement signed by Marcus Webb for Lone Star Dental Group",
)

LEVIED_INVOICE = DemoPaidInvoice(
    key="casaverde-website",
    client="casaverde",
    issued=At("bylaws", day=1, time="11:00"),
    items=(
        DemoItem(
            "Website: new menu pages and an online reservations form (WordPress)",
            "1",
            "18000.00",
            "marisol",
        ),
    ),
    notes="Before the books clean-up starts: the website work Marisol did for the restaurant.",
    paid=At("bylaws", day=2),
    method="wallet",
    reference="GCash transfer from Casa Verde Restaurant",
)

TOP_UP = DemoTopUpClaim(
    login="paolo",
    at=At("bylaws", day=1),
    reason=(
        "My US e-commerce client stopped its night support after the summer sale; "
        "nothing came in for me through the collective last month."
    ),
    disclosure="everything",
    approvals=(DemoApproval("bea", 5, "Checked the books: nothing came in for Paolo."),),
)

GUARANTEE_CLAIM = DemoGuaranteeClaim(
    login="rico",
    invoice="lonestar-onboarding",
    at=At("due", day=2, time="09:00"),
    reason=(
        "Lone Star's onboarding invoice fell due on Saturday and is unpaid; Marcus says "
        "their accounts team is a week behind."
    ),
    approvals=(
        DemoApproval(
            "bea",
            2,
            "Lone Star paid its first two weeks in full; this wait is what the fund is for.",
        ),
        DemoApproval("marisol", 4),
    ),
    payout_key="rico-guarantee-advance-usd",
    payout_at=At("due", day=2, time="16:00"),
    payout_reference="Wise USD to Rico's account: the guarantee's advance on the onboarding",
    payment_key="lonestar-onboarding-on-account",
    payment_at=At("due", day=4),
    payment_part="0.8",
    payment_method="bank_transfer",
    payment_reference="ACH 4471-2398 on account: Marcus queries two hours of the inbox rules",
)

# A second rule change left open, on the sick-pay fund: its proposal page
# shows what the higher deposits do to the fund's risk (the solvency panel).
DEPOSIT_VOTE = DemoRuleVote(
    kind="sick_pay",
    author="carlo",
    title="Deposit 6 % of the gift while we are few",
    body=(
        "Seven of us take part, one at the highest tier, and the fund holds little yet: "
        "one long sickness would outrun it. Depositing **6 %** of each tier's gift "
        "instead of 4.5 % builds the buffer sooner. The projection below shows what it "
        "does to the chance of a month the fund cannot pay in full; we can lower it "
        "again once we are twenty."
    ),
    opens=At("today", day=-1),
    days_open=7,
    rules={
        "tiers": [
            {"deposit": f"{payout * 6 // 100}.00", "payout": f"{payout}.00"}
            for payout in range(15_000, 50_001, 5_000)
        ]
    },
    votes=(
        DemoVote("carlo", "yes", 1),
        DemoVote("liza", "yes", 4),
        DemoVote("ana", "yes", 6, "Yes, for now; I am the one at the top tier."),
    ),
)

RULE_VOTE = DemoRuleVote(
    kind="income_gap",
    author="marisol",
    title="Raise the income-gap floor to ₱15,000",
    body=(
        "₱12,000 is less than a month at Metro Manila's minimum wage. A floor of "
        "**₱15,000** keeps the top-up at most ₱5,000, so the fund pays no more per "
        "claim; it only reaches members whose month was thin, not just empty."
    ),
    opens=At("today", day=-1),
    days_open=7,
    rules={"floor": "15000.00"},
    votes=(
        DemoVote("marisol", "yes", 0),
        DemoVote("paolo", "yes", 2),
        DemoVote("ana", "yes", 5, "Yes; and let's look at the levy again in January."),
        DemoVote("rico", "no", 8, "The fund is a few weeks old; let it grow first."),
    ),
)
