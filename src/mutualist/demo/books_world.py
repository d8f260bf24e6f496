"""The demo collectives' books as plain data: accounts, rates and movements.

Only shapes and values live here; ``mutualist.demo.books`` posts them through
the ledger's services (see there for the rules they follow).

Sign convention as in the ledger: a positive amount is a debit, a negative one
a credit. Each collective has, in its base currency unless noted: a bank
account, an opening-balance equity account, income from client work, an
expense for members' shares, the cash of three funds (sick pay, guarantee,
savings; must not go negative, owned by the collective until funds have their
own app) and one payable per member (opened by the loader, owned by the
member, must not go negative). Each also has one foreign-currency account
where its clients pay in another currency, and converts from it once.
Movements have fixed dates (June to September 2026): the loader's idempotency
depends on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

D = dt.date


@dataclass(frozen=True)
class BookAccount:
    key: str  # how the entries below name it
    type: str
    parts: tuple[str, ...]  # after Root:Collectives:<Collective>
    description: str
    currency: str = ""  # empty: the collective's base currency
    must_not_go_negative: bool = False


@dataclass(frozen=True)
class Post:
    """One balanced transaction: (account key, signed amount) lines."""

    key: str
    on: dt.date
    kind: str
    memo: str
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Shares:
    """Members' shares of ``total``, split by hours with ``allocate`` (so the
    parts add up to the total exactly): the shares expense is debited the
    total and each member's payable credited their part."""

    key: str
    on: dt.date
    memo: str
    total: str
    hours: tuple[tuple[str, int], ...]  # (login, hours worked)


@dataclass(frozen=True)
class Payouts:
    """Money paid out to members: their payables debited, ``source`` credited."""

    key: str
    on: dt.date
    memo: str
    amounts: tuple[tuple[str, str], ...]  # (login, amount)
    source: str = "bank"


@dataclass(frozen=True)
class Convert:
    """``amount`` of ``source``'s currency into ``target`` at the best known rate."""

    key: str
    on: dt.date
    memo: str
    source: str
    target: str
    amount: str


@dataclass(frozen=True)
class Reverse:
    """The correction of an earlier entry (by its key): its mirror image."""

    key: str
    on: dt.date
    memo: str
    original: str


Entry = Post | Shares | Payouts | Convert | Reverse


@dataclass(frozen=True)
class Rate:
    """A rate the coordinator entered: 1 ``base`` is ``rate`` ``quote`` on ``on``."""

    base: str
    quote: str
    rate: str
    on: dt.date


@dataclass(frozen=True)
class DemoBooks:
    slug: str
    accounts: tuple[BookAccount, ...]
    entries: tuple[Entry, ...]
    rates: tuple[Rate, ...] = ()


# Euro reference rates in the European Central Bank's CSV format (the
# historical file's shape: newest day first, a trailing comma on every line),
# for the days around the demo's conversions. Made up, but of the right size.
ECB_RATES = """\
Date,USD,JPY,GBP,CHF,AUD,INR,MXN,PHP,
2026-08-06,1.1668,171.42,0.8652,0.9371,1.7893,101.87,21.934,66.912,
2026-08-05,1.1651,171.10,0.8649,0.9360,1.7911,101.73,21.980,66.804,
2026-08-04,1.1639,170.95,0.8655,0.9355,1.7942,101.62,22.012,66.751,
2026-07-08,1.1712,172.05,0.8598,0.9402,1.7789,100.95,21.803,67.240,
2026-07-07,1.1698,171.88,0.8601,0.9398,1.7802,100.81,21.851,67.155,
2026-07-06,1.1705,171.96,0.8609,0.9411,1.7795,100.88,21.826,67.201,
"""


def _standard(
    base: str, bank: str, *, foreign: str, foreign_bank: str, extra: Sequence[BookAccount] = ()
) -> tuple[BookAccount, ...]:
    """The accounts every demo collective has, plus its foreign-currency pair.
    Accounts that exist once per currency carry it in their name."""
    cash = "Cash set aside for the {} fund"
    return (
        BookAccount("bank", "assets", ("Bank", base), bank),
        BookAccount("opening", "equity", ("Opening", base), "Opening balances"),
        BookAccount("work", "income", ("ClientWork", base), f"Client work paid in {base}"),
        BookAccount("shares", "expenses", ("MemberShares",), "Members' shares of client work"),
        BookAccount(
            "sick_pay",
            "assets",
            ("Funds", "SickPay", "Cash"),
            cash.format("sick-pay"),
            must_not_go_negative=True,
        ),
        BookAccount(
            "guarantee",
            "assets",
            ("Funds", "Guarantee", "Cash"),
            cash.format("guarantee"),
            must_not_go_negative=True,
        ),
        BookAccount(
            "savings",
            "assets",
            ("Funds", "Savings", "Cash"),
            cash.format("savings"),
            must_not_go_negative=True,
        ),
        BookAccount(
            f"bank_{foreign.lower()}", "assets", ("Bank", foreign), foreign_bank, currency=foreign
        ),
        BookAccount(
            f"work_{foreign.lower()}",
            "income",
            ("ClientWork", foreign),
            f"Client work paid in {foreign}",
            currency=foreign,
        ),
        *extra,
    )


MANILA = DemoBooks(
    slug="manila-va",
    accounts=_standard(
        "PHP",
        "BPI current account",
        foreign="USD",
        foreign_bank="US-dollar client receipts (Wise)",
        extra=(BookAccount("coworking", "expenses", ("Coworking",), "Desks at Salcedo Hub"),),
    ),
    entries=(
        Post(
            "opening",
            D(2026, 6, 30),
            "opening",
            "Opening balances, carried over from the treasurer's spreadsheet",
            (
                ("bank", "385000"),
                ("sick_pay", "48000"),
                ("guarantee", "36000"),
                ("savings", "24000"),
                ("opening", "-493000"),
            ),
        ),
        Post(
            "brightline-june",
            D(2026, 7, 6),
            "payment",
            "Brightline Studio (Austin) paid invoice MVA-2026-014: June executive support",
            (("bank_usd", "3200"), ("work_usd", "-3200")),
        ),
        Convert(
            "convert-june",
            D(2026, 7, 8),
            "Brightline's June payment into pesos, through Wise",
            source="bank_usd",
            target="bank",
            amount="3000",
        ),
        Shares(
            "shares-june",
            D(2026, 7, 10),
            "Members' shares of June client work, by hours",
            total="150000",
            hours=(
                ("ana", 120),
                ("paolo", 160),
                ("bea", 80),
                ("carlo", 60),
                ("liza", 100),
                ("rico", 90),
                ("marisol", 40),
            ),
        ),
        Post(
            "funds-june",
            D(2026, 7, 10),
            "contribution",
            "Fund contributions from June client work",
            (("sick_pay", "6000"), ("guarantee", "4500"), ("savings", "3000"), ("bank", "-13500")),
        ),
        Payouts(
            "payouts-june",
            D(2026, 7, 15),
            "Payouts of June shares, by InstaPay",
            (
                ("ana", "27000"),
                ("paolo", "36000"),
                ("bea", "18000"),
                ("carlo", "13000"),
                ("liza", "23000"),
                ("rico", "20000"),
                ("marisol", "9000"),
            ),
        ),
        Post(
            "casa-verde-july",
            D(2026, 8, 5),
            "payment",
            "Casa Verde Realty (Makati) paid invoice MVA-2026-019: July appointment setting",
            (("bank", "96000"), ("work", "-96000")),
        ),
        Shares(
            "shares-july",
            D(2026, 8, 10),
            "Members' shares of July client work, by hours",
            total="80000",
            hours=(("rico", 110), ("bea", 50), ("paolo", 30), ("ana", 20)),
        ),
        Post(
            "funds-july",
            D(2026, 8, 10),
            "contribution",
            "Sick-pay and savings contributions from July client work",
            (("sick_pay", "3200"), ("savings", "1600"), ("bank", "-4800")),
        ),
        # The mistake: the guarantee contribution went into the savings fund.
        Post(
            "guarantee-july",
            D(2026, 8, 10),
            "contribution",
            "Guarantee contribution from July client work",
            (("savings", "2400"), ("bank", "-2400")),
        ),
        Reverse(
            "guarantee-july-reversal",
            D(2026, 8, 12),
            "Reversal: July's guarantee contribution was posted to the savings fund",
            original="guarantee-july",
        ),
        Post(
            "guarantee-july-corrected",
            D(2026, 8, 12),
            "contribution",
            "Guarantee contribution from July client work (corrected)",
            (("guarantee", "2400"), ("bank", "-2400")),
        ),
        Payouts(
            "payouts-july",
            D(2026, 8, 14),
            "Payouts of July shares, by InstaPay",
            (("rico", "40000"), ("bea", "18000"), ("paolo", "11000")),
        ),
        Post(
            "coworking-august",
            D(2026, 8, 31),
            "expense",
            "Salcedo Hub: four night-shift desks, August",
            (("coworking", "18000"), ("bank", "-18000")),
        ),
        Post(
            "brightline-august",
            D(2026, 9, 7),
            "payment",
            "Brightline Studio (Austin) paid invoice MVA-2026-023: August executive support",
            (("bank_usd", "3450"), ("work_usd", "-3450")),
        ),
    ),
)

REMOTE_CREW = DemoBooks(
    slug="remote-crew",
    accounts=_standard(
        "USD",
        "Mercury checking account",
        foreign="EUR",
        foreign_bank="Euro client receipts (Wise)",
        extra=(BookAccount("software", "expenses", ("Software",), "Software subscriptions"),),
    ),
    entries=(
        Post(
            "opening",
            D(2026, 6, 30),
            "opening",
            "Opening balances, carried over from the old bookkeeping",
            (
                ("bank", "18400"),
                ("sick_pay", "2600"),
                ("guarantee", "3100"),
                ("savings", "1500"),
                ("opening", "-25600"),
            ),
        ),
        Post(
            "harbor-pine-june",
            D(2026, 7, 3),
            "payment",
            "Harbor & Pine (Portland) paid invoice RC-2026-031: June web support",
            (("bank", "7800"), ("work", "-7800")),
        ),
        Post(
            "software-july",
            D(2026, 7, 5),
            "expense",
            "HubSpot, Figma and Google Workspace, July",
            (("software", "486.40"), ("bank", "-486.40")),
        ),
        Shares(
            "shares-june",
            D(2026, 7, 8),
            "Members' shares of June client work, by hours",
            total="6600",
            hours=(
                ("joy", 40),
                ("jun", 70),
                ("ramil", 35),
                ("tunde", 60),
                ("funmi", 25),
                ("chidi", 20),
                ("sofia", 30),
                ("priya", 20),
                ("marisol", 15),
            ),
        ),
        Post(
            "funds-june",
            D(2026, 7, 8),
            "contribution",
            "Fund contributions from June client work",
            (("sick_pay", "312"), ("guarantee", "234"), ("savings", "156"), ("bank", "-702")),
        ),
        Payouts(
            "payout-tunde",
            D(2026, 7, 14),
            "Payout to Tunde, by Payoneer",
            (("tunde", "600"),),
        ),
        # The mistake: the bank export was imported twice.
        Payouts(
            "payout-tunde-again",
            D(2026, 7, 14),
            "Payout to Tunde, by Payoneer (bank import)",
            (("tunde", "600"),),
        ),
        Payouts(
            "payouts-june",
            D(2026, 7, 15),
            "Payouts of June shares, by Wise",
            (
                ("jun", "1400"),
                ("ramil", "700"),
                ("funmi", "500"),
                ("chidi", "400"),
                ("sofia", "600"),
                ("priya", "400"),
                ("marisol", "300"),
            ),
        ),
        Reverse(
            "payout-tunde-again-reversal",
            D(2026, 7, 16),
            "Reversal: Tunde's payout was imported twice from the bank export",
            original="payout-tunde-again",
        ),
        Post(
            "klarwerk-july",
            D(2026, 8, 4),
            "payment",
            "Klarwerk GmbH (Berlin) paid invoice RC-2026-036: July translation and support",
            (("bank_eur", "4200"), ("work_eur", "-4200")),
        ),
        Convert(
            "convert-july",
            D(2026, 8, 6),
            "Klarwerk's July payment into dollars, through Wise",
            source="bank_eur",
            target="bank",
            amount="4200",
        ),
        Shares(
            "shares-july",
            D(2026, 8, 7),
            "Members' shares of July client work, by hours",
            total="3800",
            hours=(("sofia", 40), ("funmi", 30), ("priya", 20), ("chidi", 10), ("joy", 10)),
        ),
    ),
)

NAIROBI = DemoBooks(
    slug="nairobi-vo",
    accounts=_standard(
        "KES",
        "Equity Bank current account",
        foreign="USD",
        foreign_bank="US-dollar client receipts",
        extra=(BookAccount("mpesa", "assets", ("MPesa",), "M-Pesa till"),),
    ),
    rates=(Rate("USD", "KES", "129.20", D(2026, 9, 3)),),
    entries=(
        Post(
            "opening",
            D(2026, 6, 30),
            "opening",
            "Opening balances, carried over from the treasurer's ledger book",
            (
                ("bank", "1250000"),
                ("mpesa", "85000"),
                ("sick_pay", "150000"),
                ("guarantee", "120000"),
                ("savings", "60000"),
                ("opening", "-1665000"),
            ),
        ),
        Post(
            "savannah-july",
            D(2026, 7, 31),
            "payment",
            "Savannah Logistics (Mombasa) paid invoice NVO-2026-022 by M-Pesa: July data entry",
            (("mpesa", "240000"), ("work", "-240000")),
        ),
        Shares(
            "shares-july",
            D(2026, 8, 5),
            "Members' shares of July client work, by hours",
            total="190000",
            hours=(("kevin", 90), ("otieno", 50), ("faith", 40), ("brian", 30), ("wanjiru", 20)),
        ),
        Post(
            "funds-july",
            D(2026, 8, 5),
            "contribution",
            "Fund contributions from July client work",
            (("sick_pay", "9600"), ("guarantee", "7200"), ("savings", "4800"), ("mpesa", "-21600")),
        ),
        Payouts(
            "payouts-july",
            D(2026, 8, 6),
            "Payouts of July shares, by M-Pesa",
            (("kevin", "60000"), ("otieno", "35000"), ("faith", "25000"), ("brian", "20000")),
            source="mpesa",
        ),
        Post(
            "maji-safi-august",
            D(2026, 9, 2),
            "payment",
            "Maji Safi Foundation (Geneva) paid invoice NVO-2026-027: August transcription",
            (("bank_usd", "2400"), ("work_usd", "-2400")),
        ),
        Convert(
            "convert-august",
            D(2026, 9, 4),
            "Maji Safi's August payment into shillings",
            source="bank_usd",
            target="bank",
            amount="2400",
        ),
        Post(
            "mpesa-sweep",
            D(2026, 9, 7),
            "transfer",
            "Sweep from the M-Pesa till to the bank",
            (("bank", "100000"), ("mpesa", "-100000")),
        ),
        Shares(
            "shares-august",
            D(2026, 9, 8),
            "Members' shares of August client work, by hours",
            total="260000",
            hours=(("amina", 110), ("daniel", 60), ("kevin", 40), ("wanjiru", 30)),
        ),
    ),
)

BOOKS: tuple[DemoBooks, ...] = (MANILA, REMOTE_CREW, NAIROBI)
