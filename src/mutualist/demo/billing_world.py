"""The demo's billing, as plain data: how each collective bills, how its
members want to be paid, and Manila's invoices, payments and payouts.

``mutualist.demo.billing`` loads it through the billing services. Days are
counted from the first day of Manila's engagements (``S``: the Monday the
demo's work started, four weeks before the week the demo was loaded), so
the history fits the weeks of time the work demo approved:

- week 1 (S..S+6), week 2 and week 3 are approved by the clients (on the
  Tuesday after each, S+8, S+15, S+22); week 4 waits for approval; the
  current week is open.
- ``MNL-…-0001``: Lone Star's onboarding, invoiced the week before the work
  began (S-4), due thirty days later: still unpaid, so overdue when the demo
  is loaded (``mutualist tick`` marks it).
- Weeks 1-2 are invoiced on S+16: Bondi (AUD, paid in US dollars at the
  rate Wise gave), Lone Star (USD, paid in full) and Camden (GBP, two hours
  credited by a credit note, the rest paid).
- Camden's week 3 is invoiced on S+23 and half paid; Lone Star's week 3 is a
  draft waiting to be issued; Bondi's week 3 is approved and not invoiced,
  for the coordinator to invoice herself.
- Liza is paid her Bondi share (owed in AUD) in pesos from the peso
  account; Rico his Lone Star share in dollars, as he asked.

Time is billed "up to" a Saturday in the client's time zone: the demo's
clients work no weekends. (Every block of the work demo falls on the same
weekday in the client's zone as in the member's, whatever the season:
``mutualist.demo.work_world``.)
"""

from __future__ import annotations

from dataclasses import dataclass

MANILA = "manila-va"


@dataclass(frozen=True)
class DemoBillingSettings:
    slug: str
    prefix: str
    payment_instructions: str
    late_payment_terms: str


@dataclass(frozen=True)
class DemoPayoutSetting:
    slug: str
    login: str
    currency: str
    details: str


@dataclass(frozen=True)
class DemoItem:
    """A fixed line: ``quantity`` x ``unit_price`` in the invoice's currency,
    for ``login``'s work (or the whole team's)."""

    description: str
    quantity: str
    unit_price: str
    login: str | None = None


@dataclass(frozen=True)
class DemoCredit:
    key: str  # idempotency key, under the demo's prefix
    day: int
    amount: str  # in the invoice's currency
    reason: str


@dataclass(frozen=True)
class DemoPayment:
    """A payment of ``part`` of what is unpaid that day ("1" settles it).

    In another ``currency`` than the invoice's, the amount sent is what the
    part is worth at about ``rate`` (units of the invoice's currency per unit
    of the payment's); the rate recorded is the one the bank really applied,
    to six places, so that what arrived settles exactly what it was meant to.
    """

    key: str
    day: int
    method: str
    reference: str
    part: str = "1"
    currency: str | None = None  # None: the invoice's
    rate: str | None = None
    rate_source: str = ""


@dataclass(frozen=True)
class DemoInvoice:
    key: str
    job: str  # ``work_world`` job key: the engagement it bills
    day: int  # when the draft is made (and issued, unless ``draft``)
    # Approved time started up to the end of this day (in the client's
    # zone), or no time at all.
    time_until: int | None
    items: tuple[DemoItem, ...] = ()
    notes: str = ""
    draft: bool = False
    credit: DemoCredit | None = None
    payments: tuple[DemoPayment, ...] = ()


@dataclass(frozen=True)
class DemoPayout:
    """All that ``login`` is owed in ``currency``, sent from the collective's
    bank account in ``source`` (at ``rate`` units of ``source`` per unit of
    ``currency`` when they differ)."""

    key: str
    login: str
    currency: str
    source: str
    day: int
    reference: str
    rate: str | None = None
    rate_source: str = ""


@dataclass(frozen=True)
class DemoRate:
    """A coordinator's rate for the day the demo is loaded, so a payment in
    another currency recorded that week finds one on record."""

    base: str
    quote: str
    rate: str


SETTINGS: tuple[DemoBillingSettings, ...] = (
    DemoBillingSettings(
        slug=MANILA,
        prefix="MNL",
        payment_instructions=(
            "Pesos: BPI, Salcedo Village branch, Manila Virtual Assistants Cooperative, "
            "account 3081-0442-17 (SWIFT BOPIPHMM).\n"
            "US dollars, Australian dollars or pounds: our Wise account in the "
            "cooperative's name; the details for your currency come with the Wise "
            "payment link we email with this invoice."
        ),
        late_payment_terms=(
            "We send a reminder three days before the due date and after it. An invoice "
            "unpaid 30 days after its due date carries interest of 1% a month, and we may "
            "pause the work until it is settled."
        ),
    ),
    DemoBillingSettings(
        slug="remote-crew",
        prefix="RC",
        payment_instructions=(
            "ACH or wire to Remote Crew Cooperative, Mercury checking account "
            "9920 4410 3318 (routing 091311229). Euros: our Wise account, details on request."
        ),
        late_payment_terms="Invoices are due within the terms shown. Late invoices carry "
        "interest of 1.5% a month from the due date.",
    ),
    DemoBillingSettings(
        slug="nairobi-vo",
        prefix="NVO",
        payment_instructions=(
            "Nairobi Virtual Office, Equity Bank current account 0180 2997 4411 56 "
            "(SWIFT EQBLKENA), or M-Pesa till 512 774."
        ),
        late_payment_terms="Payment is due within the terms shown; after that we remind "
        "you weekly and may pause the work.",
    ),
)

# How each member wants to be paid: the currency and where to. Manila's
# members take pesos, except Rico, who keeps dollars in his Wise account.
PAYOUT_SETTINGS: tuple[DemoPayoutSetting, ...] = (
    DemoPayoutSetting(MANILA, "ana", "PHP", "GCash 0917 555 0142 (Ana Reyes)"),
    DemoPayoutSetting(MANILA, "paolo", "PHP", "BDO savings 0045 1120 7781 (Paolo Santos)"),
    DemoPayoutSetting(MANILA, "bea", "PHP", "GCash 0918 555 0177 (Bea Mendoza)"),
    DemoPayoutSetting(MANILA, "carlo", "PHP", "Maya 0927 555 0190 (Carlo Bautista)"),
    DemoPayoutSetting(MANILA, "liza", "PHP", "BPI savings 4419 0551 23 (Liza Garcia)"),
    DemoPayoutSetting(MANILA, "rico", "USD", "Wise USD account, rico.delacruz@wise.example"),
    DemoPayoutSetting(MANILA, "marisol", "PHP", "GCash 0917 555 0163 (Marisol Dizon)"),
    DemoPayoutSetting("remote-crew", "joy", "PHP", "UnionBank 1094 2210 5561 (Joy Villanueva)"),
    DemoPayoutSetting("remote-crew", "jun", "PHP", "GCash 0915 555 0108 (Jun Abellana)"),
    DemoPayoutSetting("remote-crew", "ramil", "PHP", "GCash 0916 555 0131 (Ramil Gonzaga)"),
    DemoPayoutSetting("remote-crew", "tunde", "USD", "Payoneer, tunde.adebayo@payoneer.example"),
    DemoPayoutSetting("remote-crew", "funmi", "NGN", "GTBank 0123 4567 89 (Funmilayo Adeyemi)"),
    DemoPayoutSetting("remote-crew", "chidi", "USD", "Payoneer, chidi.eze@payoneer.example"),
    DemoPayoutSetting("remote-crew", "sofia", "MXN", "BBVA CLABE 0121 8000 1234 5678 90"),
    DemoPayoutSetting("remote-crew", "priya", "INR", "UPI priya.nair@okaxis"),
    DemoPayoutSetting("remote-crew", "marisol", "PHP", "GCash 0917 555 0163 (Marisol Dizon)"),
    DemoPayoutSetting("nairobi-vo", "wanjiru", "KES", "M-Pesa 0712 555 014"),
    DemoPayoutSetting("nairobi-vo", "otieno", "KES", "M-Pesa 0722 555 087"),
    DemoPayoutSetting("nairobi-vo", "amina", "KES", "M-Pesa 0733 555 112"),
    DemoPayoutSetting("nairobi-vo", "kevin", "KES", "Equity Bank 0180 2991 0033 41"),
    DemoPayoutSetting("nairobi-vo", "faith", "KES", "M-Pesa 0710 555 266"),
    DemoPayoutSetting("nairobi-vo", "brian", "KES", "M-Pesa 0701 555 349"),
    DemoPayoutSetting("nairobi-vo", "daniel", "GHS", "MTN MoMo 024 555 0118 (Daniel Mensah)"),
)

INVOICES: tuple[DemoInvoice, ...] = (
    DemoInvoice(
        key="lonestar-onboarding",
        job="lonestar-front",
        day=-4,
        time_until=None,
        items=(
            DemoItem(
                "Onboarding: booking-line scripts and call flows for four clinics",
                "6",
                "24.00",
                "rico",
            ),
            DemoItem("Onboarding: patient-inbox rules and reply templates", "4", "24.00", "ana"),
        ),
        notes="Set-up before the first week of cover, as agreed in the pitch.",
    ),
    DemoInvoice(
        key="bondi-weeks-1-2",
        job="bondi-ea",
        day=16,
        time_until=12,
        notes="Founders' calendar and shared inbox, first two weeks.",
        payments=(
            DemoPayment(
                key="bondi-weeks-1-2-wise",
                day=23,
                method="bank_transfer",
                reference="Wise transfer from Bondi Surf Supply's US-dollar account",
                currency="USD",
                rate="1.5326",
                rate_source="Wise: what Bondi's US-dollar transfer was worth in AUD",
            ),
        ),
    ),
    DemoInvoice(
        key="lonestar-weeks-1-2",
        job="lonestar-front",
        day=16,
        time_until=12,
        notes="Front desk and patient inbox, first two weeks.",
        payments=(
            DemoPayment(
                key="lonestar-weeks-1-2-ach",
                day=24,
                method="bank_transfer",
                reference="ACH 4471-2209",
            ),
        ),
    ),
    DemoInvoice(
        key="camden-weeks-1-2",
        job="camden-tour",
        day=16,
        time_until=12,
        notes="Tour travel and the shop's books, first two weeks.",
        credit=DemoCredit(
            key="camden-weeks-1-2-staff-trip",
            day=18,
            amount="60.00",
            reason=(
                "Two hours of travel booking were for the shop's own staff trip, which "
                "Camden books itself: credited."
            ),
        ),
        payments=(
            DemoPayment(
                key="camden-weeks-1-2-faster-payments",
                day=25,
                method="bank_transfer",
                reference="Faster Payments CLB-1103",
            ),
        ),
    ),
    DemoInvoice(
        key="camden-week-3",
        job="camden-tour",
        day=23,
        time_until=19,
        notes="Tour travel and the shop's books, third week.",
        payments=(
            DemoPayment(
                key="camden-week-3-on-account",
                day=26,
                method="bank_transfer",
                reference="Faster Payments CLB-1127 (on account)",
                part="0.5",
            ),
        ),
    ),
    DemoInvoice(
        key="lonestar-week-3",
        job="lonestar-front",
        day=23,
        time_until=19,
        notes="Front desk and patient inbox, third week.",
        draft=True,
    ),
)

PAYOUTS: tuple[DemoPayout, ...] = (
    DemoPayout(
        key="rico-lonestar-usd",
        login="rico",
        currency="USD",
        source="USD",
        day=26,
        reference="Wise USD to Rico's account",
    ),
    DemoPayout(
        key="liza-bondi-php",
        login="liza",
        currency="AUD",
        source="PHP",
        day=26,
        reference="InstaPay from BPI",
        rate="38.4710",
        rate_source="Wise AUD to PHP, then InstaPay from BPI",
    ),
)

# Manila's rates on record for the day the demo is loaded.
RATES_TODAY: tuple[DemoRate, ...] = (
    DemoRate("USD", "AUD", "1.5330"),
    DemoRate("USD", "GBP", "0.7905"),
    DemoRate("USD", "PHP", "59.02"),
    DemoRate("AUD", "PHP", "38.52"),
    DemoRate("GBP", "PHP", "74.66"),
)

# Whose login, in Manila, is the coordinator who does all of the above.
COORDINATOR = "ana"
# Present once the demo's billing is loaded (it is loaded in one transaction).
SENTINEL_PAYMENT = INVOICES[1].payments[0].key
