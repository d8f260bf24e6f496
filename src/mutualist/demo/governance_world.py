"""The demo's decisions, as plain data: proposals, votes and proxies.

``mutualist.demo.governance`` makes them through the governance services,
travelling in time to each moment. Every moment is 10:00 in Manila on a day
counted from an anchor, plus some hours:

- ``"bylaws"``: the day Manila's new bylaws take effect. It is the day after
  the last invoice Manila issued (on a fresh demo, the Thursday of last
  week), so every invoice the demo issued was split by the bylaws that were
  in force when it was issued (10 % to the treasury), and the draft that
  waits to be issued will be split by the new ones (12 %).
- ``"today"``: the day the demo is loaded.

Manila Virtual Assistants (seven members, Ana coordinates) has:

- a failed bylaws change (Carlo: 15 % to the treasury; 3 for, 2 against,
  short of the two thirds it asked for), about five weeks ago;
- a passed bylaws change (Ana: 12 %; Rico away, voting through Bea by a
  proxy for that proposal), about three weeks ago, in force since the anchor;
- a blocked consent proposal (Marisol: move the Monday call to 09:00; Paolo,
  who works nights, blocks with his reason);
- an open proposal closing in three days (weekend chat for Bondi Surf
  Supply): results hidden until one votes, a reason asked of every voter,
  four votes, Liza's proxy for her two weeks of leave to Bea, and Ana (the
  demo login) and Rico not yet voted.

Remote Crew decided, a week ago, that its members vote on who joins; Lucas
(a designer in Lisbon, in no collective) applied two days ago, which opened
the admission vote, and three members have voted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mutualist.collectives.models import Bylaws
from mutualist.governance.models import Proposal

MANILA = "manila-va"
CREW = "remote-crew"

K = Proposal.Kind
M = Proposal.Method
R = Proposal.Results


@dataclass(frozen=True)
class DemoVote:
    login: str
    choice: str
    hours: int  # after the proposal opened
    reason: str = ""


@dataclass(frozen=True)
class DemoProxy:
    """``delegator`` lets ``delegate`` vote for them: for the proposal it is
    listed under, or (with ``period_days``) for that many days from the
    day it is given."""

    delegator: str
    delegate: str
    hours: int  # after the proposal opened (negative: before)
    period_days: int | None = None


@dataclass(frozen=True)
class DemoProposal:
    key: str
    slug: str
    author: str  # login
    kind: str
    title: str
    body: str
    anchor: str  # "bylaws" or "today" (see the module's docstring)
    opens: int  # day, from the anchor, at 10:00 in Manila
    days_open: int
    method: str = M.YES_NO
    quorum: str = "50"
    threshold: str = "50"
    results: str = R.ALWAYS
    reasons_required: bool = False
    # A bylaws change: the payload without ``effective_from``, which is
    # ``effective`` days from the anchor.
    payload: Mapping[str, Any] = field(default_factory=dict)
    effective: int | None = None
    votes: tuple[DemoVote, ...] = ()
    proxies: tuple[DemoProxy, ...] = ()
    outcome: str = ""  # the expected outcome; "" while open


@dataclass(frozen=True)
class DemoApplication:
    """An application under the "members vote" rule: it opens its own vote."""

    key: str
    slug: str
    login: str
    note: str
    anchor: str
    opens: int
    votes: tuple[DemoVote, ...] = ()


PROPOSALS: tuple[DemoProposal, ...] = (
    DemoProposal(
        key="manila-treasury-15",
        slug=MANILA,
        author="carlo",
        kind=K.BYLAWS_CHANGE,
        title="Raise the treasury share to 15 %",
        body=(
            "Our sick-pay fund lives on our own deposits; nothing yet stands behind us "
            "when a client pays late or a month brings no work. At **15 %** of every "
            "payment the treasury could start a payment guarantee fund and an "
            "income-gap fund within a few months.\n\n"
            "A change to the split asks a two-thirds majority, as we agreed at the "
            "founding meeting."
        ),
        anchor="bylaws",
        opens=-31,
        days_open=7,
        threshold="66.67",
        payload={"shares": {"treasury": "15.00"}},
        effective=-21,
        votes=(
            DemoVote(
                "carlo",
                "yes",
                1,
                "The sick-pay fund shows what a fund is worth; let's not wait years for the next two.",
            ),
            DemoVote("bea", "yes", 5),
            DemoVote("marisol", "yes", 26),
            DemoVote(
                "paolo",
                "no",
                30,
                "15 % is a lot on the night shift's rates; something between, maybe?",
            ),
            DemoVote(
                "ana",
                "no",
                50,
                "Yes to more for the funds, but let's try 12 % first and look again in six months.",
            ),
        ),
        outcome=Proposal.Outcome.FAILED,
    ),
    DemoProposal(
        key="manila-treasury-12",
        slug=MANILA,
        author="ana",
        kind=K.BYLAWS_CHANGE,
        title="Treasury share to 12 %",
        body=(
            "The middle way after the 15 % vote: **12 %** of each payment to the "
            "treasury, the rest to the members who did the work, as now. It is "
            "enough for the treasury to start a payment guarantee fund (US$500) and "
            "an income-gap fund (₱20,000); what keeps them filled would be a vote "
            "of its own.\n\n"
            "It applies to invoices issued from the day it takes effect; invoices "
            "already issued keep the split they were issued with."
        ),
        anchor="bylaws",
        opens=-16,
        days_open=7,
        results=R.AFTER_VOTE,
        payload={
            "shares": {"treasury": "12.00"},
            "notes": "12 % to the treasury, adopted by the members' vote.",
        },
        effective=0,
        votes=(
            DemoVote(
                "ana", "yes", 0, "Enough to seed the guarantee fund as soon as it's voted in."
            ),
            DemoVote("bea", "yes", 3),
            DemoVote("carlo", "yes", 20, "Not the 15 % I asked for, but a start."),
            DemoVote("marisol", "yes", 28),
            DemoVote("paolo", "no", 52, "I'd rather keep 10 % until the new funds are voted in."),
        ),
        proxies=(DemoProxy("rico", "bea", 4),),
        outcome=Proposal.Outcome.PASSED,
    ),
    DemoProposal(
        key="manila-monday-call",
        slug=MANILA,
        author="marisol",
        kind=K.GENERAL,
        title="Move the Monday team call to 09:00 Manila time",
        body=(
            "16:00 clashes with Remote Crew's stand-up for those of us in both. "
            "09:00 would be free for everyone on the day shift."
        ),
        anchor="bylaws",
        opens=-12,
        days_open=7,
        method=M.CONSENT,
        votes=(
            DemoVote("marisol", "agree", 0),
            DemoVote("ana", "agree", 2),
            DemoVote("bea", "agree", 6),
            DemoVote("carlo", "abstain", 24, "Either time works for me."),
            DemoVote("liza", "disagree", 30, "09:00 is my school run; 14:00?"),
            DemoVote(
                "paolo",
                "block",
                40,
                "09:00 is the middle of my sleep after the night shift. Any time from "
                "14:00 works for everyone; I'll second that.",
            ),
        ),
        outcome=Proposal.Outcome.BLOCKED,
    ),
    DemoProposal(
        key="manila-weekend-chat",
        slug=MANILA,
        author="bea",
        kind=K.GENERAL,
        title="Take on weekend chat for Bondi Surf Supply",
        body=(
            "Emily asked whether we can cover **Saturday and Sunday** chat, 09:00-17:00 "
            "Sydney time, from next month: about 16 hours a week at the weekend rate.\n\n"
            "- Paolo and Liza would rotate;\n"
            "- we would say no to new weekday work until Grace or Mark joins."
        ),
        anchor="today",
        opens=-2,
        days_open=5,
        results=R.AFTER_VOTE,
        reasons_required=True,
        votes=(
            DemoVote("bea", "yes", 1, "Weekend rates cover it, and two of us can rotate."),
            DemoVote("paolo", "yes", 6, "I can take Saturdays; I'm up at night anyway."),
            DemoVote(
                "carlo",
                "no",
                20,
                "With me off sick we're stretched already; let's admit Grace first.",
            ),
            DemoVote("marisol", "yes", 30, "Bondi pays on time; good client to grow with."),
        ),
        # Liza is on leave for two weeks: Bea votes for her meanwhile.
        proxies=(DemoProxy("liza", "bea", -24, period_days=17),),
    ),
    DemoProposal(
        key="crew-admission-by-vote",
        slug=CREW,
        author="joy",
        kind=K.BYLAWS_CHANGE,
        title="Let the members vote on who joins",
        body=(
            "Today I approve every application alone. We are nine now, in four time "
            "zones; a week's vote on each newcomer lets everyone have a say."
        ),
        anchor="today",
        opens=-12,
        days_open=7,
        payload={"admission_rule": Bylaws.AdmissionRule.VOTE},
        effective=-4,
        votes=(
            DemoVote("joy", "yes", 0),
            DemoVote("jun", "yes", 4),
            DemoVote("tunde", "yes", 9, "We all work with whoever joins; we should all choose."),
            DemoVote("funmi", "yes", 20),
            DemoVote("sofia", "yes", 33),
            DemoVote(
                "priya",
                "no",
                40,
                "Joy answers within a day; a week's vote slows good people down.",
            ),
            DemoVote("chidi", "yes", 70),
        ),
        outcome=Proposal.Outcome.PASSED,
    ),
)

APPLICATIONS: tuple[DemoApplication, ...] = (
    DemoApplication(
        key="crew-admit-lucas",
        slug=CREW,
        login="lucas",
        note="Brand identities and pitch decks for startups; your clients keep asking "
        "for design, and I'd like to be the one who does it.",
        anchor="today",
        opens=-2,
        votes=(
            DemoVote("joy", "yes", 4, "His portfolio fits the decks clients keep asking for."),
            DemoVote("tunde", "yes", 10),
            DemoVote("funmi", "yes", 30, "Happy to pair on copy and layout."),
        ),
    ),
)

# The proposal whose presence means "the decisions are loaded".
SENTINEL_TITLE = next(p.title for p in PROPOSALS if p.key == "manila-treasury-12")
