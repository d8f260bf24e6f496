"""The split's arithmetic: exact in every currency, with no drift.

``split_targets`` fixes what each recipient is owed out of a whole invoice;
``payment_parts`` shares each payment in proportion to what each is still
owed; ``credit_split``/``credit_parts`` take a credit note off the targets
the same way. Pure functions, so they are tested on worked examples, by brute
force over every small invoice and every way of paying it, and with
Hypothesis over random invoices, payments and credit notes.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mutualist.billing.split import (
    TAX,
    TREASURY,
    Credit,
    Target,
    credit_parts,
    credit_split,
    member_key,
    payment_parts,
    recipient_of,
    split_targets,
    targets_after,
    targets_less,
)
from mutualist.core.money import Money

ANA, BEN, CARLA = 1, 2, 3


def as_dict(parts: Sequence[Target]) -> dict[str, str]:
    return {part.key: str(part.amount.amount) for part in parts}


def minor(parts: Sequence[Target]) -> dict[str, int]:
    return {part.key: part.amount.minor_units for part in parts}


def targets(
    net: str,
    tax: str,
    currency: str,
    percentages: Mapping[str, str],
    weights: Mapping[int, int],
) -> list[Target]:
    return split_targets(
        net=Money(net, currency),
        tax=Money(tax, currency),
        percentages={code: Decimal(pct) for code, pct in percentages.items()},
        member_weights=weights,
    )


# --- Targets: worked examples -------------------------------------------------------------


def test_the_readme_invoice_gives_tax_treasury_and_members_their_exact_parts() -> None:
    # given 350.00 AUD net (Ana's lines bill 250.00, Ben's 100.00) and 35.00 tax,
    # under a 10 % treasury rule
    # when the targets are fixed
    result = targets("350", "35", "AUD", {"treasury": "10"}, {ANA: 25_000, BEN: 10_000})

    # then the tax is the invoice's, the treasury 10 % of the net, the members the rest
    # in proportion to what they bill
    assert as_dict(result) == {
        "tax": "35.00",
        "treasury": "35.00",
        "member:1": "225.00",
        "member:2": "90.00",
    }


def test_yen_have_no_minor_units_and_the_odd_yen_goes_by_largest_remainder() -> None:
    # given ¥10,000 net and ¥1,000 tax, a 33.33 % treasury, three members alike
    result = targets("10000", "1000", "JPY", {"treasury": "33.33"}, {ANA: 1, BEN: 1, CARLA: 1})

    # then the treasury gets ¥3,333 (3,333.0 exactly) and the members ¥6,667 between
    # them: 2,222.33 each, so the first on a tie takes the odd yen
    assert as_dict(result) == {
        "tax": "1000",
        "treasury": "3333",
        "member:1": "2223",
        "member:2": "2222",
        "member:3": "2222",
    }
    assert sum(minor(result).values()) == 11_000


def test_bahraini_dinars_split_to_the_fils() -> None:
    # given 1.000 BHD net and 0.100 tax, a 0.01 % treasury, members 2:1
    result = targets("1", "0.1", "BHD", {"treasury": "0.01"}, {ANA: 2, BEN: 1})

    # then the treasury's 0.0001 BHD rounds to nothing (and is left out), and the
    # members share the whole 1.000: 0.667 and 0.333
    assert as_dict(result) == {"tax": "0.100", "member:1": "0.667", "member:2": "0.333"}


def test_euro_cents_with_a_99_99_percent_treasury() -> None:
    result = targets("1000", "0", "EUR", {"treasury": "99.99"}, {ANA: 1, BEN: 1})

    # 0.01 % of 1,000.00 is 0.10, shared 0.05 / 0.05
    assert as_dict(result) == {"treasury": "999.90", "member:1": "0.05", "member:2": "0.05"}


def test_a_100_percent_treasury_leaves_the_members_nothing() -> None:
    result = targets("100", "0", "EUR", {"treasury": "100"}, {ANA: 1})

    assert as_dict(result) == {"treasury": "100.00"}


def test_a_0_percent_treasury_gives_the_members_everything() -> None:
    result = targets("100", "21", "EUR", {"treasury": "0"}, {ANA: 3, BEN: 1})

    assert as_dict(result) == {"tax": "21.00", "member:1": "75.00", "member:2": "25.00"}


def test_with_no_member_on_the_invoice_the_members_part_goes_to_the_treasury() -> None:
    # given an invoice of fixed items that name no member
    result = targets("100", "0", "EUR", {"treasury": "10"}, {})

    assert as_dict(result) == {"treasury": "100.00"}
    # and members of weight zero are no different
    assert as_dict(targets("100", "0", "EUR", {"treasury": "10"}, {ANA: 0})) == {
        "treasury": "100.00"
    }


def test_funds_take_their_levies_in_code_order_after_the_treasury() -> None:
    result = targets(
        "100", "0", "EUR", {"treasury": "10", "sick_pay": "2.5", "guarantee": "1"}, {ANA: 1}
    )

    assert list(as_dict(result).items()) == [
        ("treasury", "10.00"),
        ("guarantee", "1.00"),
        ("sick_pay", "2.50"),
        ("member:1", "86.50"),
    ]
    assert [recipient_of(t.key) for t in result] == ["treasury", "fund", "fund", "member"]


def test_a_zero_invoice_has_no_targets() -> None:
    assert targets("0", "0", "EUR", {"treasury": "10"}, {ANA: 1}) == []


@pytest.mark.parametrize(
    ("net", "tax", "percentages", "weights", "message"),
    [
        (Money("1", "EUR"), Money("1", "USD"), {}, {}, "one currency"),
        (Money("-1", "EUR"), Money("0", "EUR"), {}, {}, "not negative"),
        (Money("1", "EUR"), Money("-1", "EUR"), {}, {}, "not negative"),
        (Money("1", "EUR"), Money("0", "EUR"), {"treasury": Decimal("60"), "x": 41}, {}, "100"),
        (Money("1", "EUR"), Money("0", "EUR"), {"treasury": Decimal("-1")}, {}, "100"),
        (Money("1", "EUR"), Money("0", "EUR"), {}, {ANA: -1}, "weights"),
    ],
)
def test_split_targets_refuses_what_no_invoice_can_ask(
    net: Money, tax: Money, percentages: dict[str, Decimal], weights: dict[int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        split_targets(net=net, tax=tax, percentages=percentages, member_weights=weights)


# --- Payments: worked examples ------------------------------------------------------------


def readme_targets() -> list[Target]:
    return targets("350", "35", "AUD", {"treasury": "10"}, {ANA: 25_000, BEN: 10_000})


def test_a_first_payment_of_100_is_shared_as_the_docs_say() -> None:
    parts = payment_parts(targets=readme_targets(), already={}, amount=Money("100", "AUD"))

    assert as_dict(parts) == {
        "tax": "9.09",
        "treasury": "9.09",
        "member:1": "58.44",
        "member:2": "23.38",
    }


def test_the_payment_that_settles_brings_everyone_exactly_to_their_target() -> None:
    # given the first 100.00 AUD was shared out
    whole = readme_targets()
    first = minor(payment_parts(targets=whole, already={}, amount=Money("100", "AUD")))

    # when the remaining 285.00 AUD arrives
    second = minor(payment_parts(targets=whole, already=first, amount=Money("285", "AUD")))

    # then each recipient has exactly its target
    assert {key: first[key] + second[key] for key in first} == minor(whole)


def test_a_payment_beyond_what_is_still_owed_or_of_nothing_is_refused() -> None:
    whole = readme_targets()
    with pytest.raises(ValueError, match="not more than"):
        payment_parts(targets=whole, already={}, amount=Money("385.01", "AUD"))
    with pytest.raises(ValueError, match="above zero"):
        payment_parts(targets=whole, already={}, amount=Money("0", "AUD"))


# --- Credit notes: worked examples --------------------------------------------------------


def test_a_credit_on_a_taxed_invoice_takes_tax_in_the_invoices_proportion() -> None:
    # given the 385.00 AUD invoice (10 % tax), nothing paid
    # when 100.00 AUD of it is credited
    credit = credit_split(
        amount=Money("100", "AUD"),
        invoice_net=Money("350", "AUD"),
        invoice_tax=Money("35", "AUD"),
        targets=readme_targets(),
        already={},
    )

    # then 90.91 net and 9.09 tax come off (9.09 is 10 % of 90.91, rounded)
    assert (credit.net, credit.tax) == (Money("90.91", "AUD"), Money("9.09", "AUD"))


def test_a_credit_of_everything_unpaid_takes_exactly_what_each_is_still_owed() -> None:
    whole = readme_targets()
    given = minor(payment_parts(targets=whole, already={}, amount=Money("100", "AUD")))

    credit = credit_split(
        amount=Money("285", "AUD"),
        invoice_net=Money("350", "AUD"),
        invoice_tax=Money("35", "AUD"),
        targets=whole,
        already=given,
    )
    after = targets_less(whole, credit_parts(targets=whole, already=given, credit=credit))

    # the tax still owed is 35.00 - 9.09 = 25.91; what is left equals what was given
    assert credit.tax == Money("25.91", "AUD")
    assert minor(after) == given


def test_a_credit_after_uneven_partial_payments_leaves_no_one_above_their_target() -> None:
    # given two members alike on an invoice of three cents (no tax, no treasury):
    # targets 2 and 1; two payments of one cent both went to the first (largest
    # remainder, then a tie), so the first has 2 and the second 0
    whole = targets("0.03", "0", "AUD", {}, {ANA: 1, BEN: 1})
    assert minor(whole) == {"member:1": 2, "member:2": 1}
    given: dict[str, int] = defaultdict(int)
    for _ in range(2):
        for key, units in minor(
            payment_parts(targets=whole, already=given, amount=Money("0.01", "AUD"))
        ).items():
            given[key] += units
    assert dict(given) == {"member:1": 2}

    # when the last cent is credited
    credit = credit_split(
        amount=Money("0.01", "AUD"),
        invoice_net=Money("0.03", "AUD"),
        invoice_tax=Money("0", "AUD"),
        targets=whole,
        already=given,
    )
    after = targets_after(targets=whole, history=[dict(given), credit])

    # then the targets are what each was given: the credit came off the second
    # member's unpaid cent, not "half each" (which would leave the first a cent
    # above their target and the second a cent below, for ever)
    assert minor(after) == {"member:1": 2}


def test_a_credit_beyond_what_is_owed_is_refused() -> None:
    with pytest.raises(ValueError, match="not more than"):
        credit_split(
            amount=Money("386", "AUD"),
            invoice_net=Money("350", "AUD"),
            invoice_tax=Money("35", "AUD"),
            targets=readme_targets(),
            already={},
        )
    with pytest.raises(ValueError, match="no more tax"):
        credit_parts(
            targets=readme_targets(),
            already={"tax": 3500},
            credit=Credit(net=Money("0", "AUD"), tax=Money("0.01", "AUD")),
        )


# --- Brute force: every small invoice, every way of paying it -----------------------------


def compositions(total: int) -> Iterator[list[int]]:
    """Every way of paying ``total`` minor units in one or more positive parts."""
    for cuts in itertools.product((False, True), repeat=total - 1):
        parts, run = [], 1
        for cut in cuts:
            if cut:
                parts.append(run)
                run = 1
            else:
                run += 1
        yield [*parts, run]


def check_sequence(whole: Sequence[Target], payments: Sequence[int], currency: str) -> None:
    given: dict[str, int] = defaultdict(int)
    goal = minor(whole)
    for amount in payments:
        parts = minor(
            payment_parts(targets=whole, already=given, amount=Money.from_minor(amount, currency))
        )
        assert sum(parts.values()) == amount
        for key, units in parts.items():
            assert units > 0
            given[key] += units
            assert given[key] <= goal[key]
    assert dict(given) == goal


@pytest.mark.parametrize("currency", ["JPY", "EUR", "BHD"])
def test_every_way_of_paying_every_small_invoice_ends_exactly_on_target(currency: str) -> None:
    percentages = [{}, {"treasury": "33.33"}, {"treasury": "0.01", "sick_pay": "50"}]
    weight_sets = [{}, {ANA: 1}, {ANA: 1, BEN: 1}, {ANA: 2, BEN: 1, CARLA: 1}]
    checked = 0
    for net, tax in itertools.product(range(0, 7), range(0, 3)):
        if net + tax == 0:
            continue
        for pct, weights in itertools.product(percentages, weight_sets):
            whole = split_targets(
                net=Money.from_minor(net, currency),
                tax=Money.from_minor(tax, currency),
                percentages={k: Decimal(v) for k, v in pct.items()},
                member_weights=weights,
            )
            # every unit of the invoice has exactly one recipient
            assert sum(minor(whole).values()) == net + tax
            assert minor(whole).get(TAX, 0) == tax
            for payments in compositions(net + tax):
                check_sequence(whole, payments, currency)
                checked += 1
    assert checked > 5_000


def test_each_target_is_within_one_unit_of_its_exact_share() -> None:
    for net in range(1, 60):
        whole = minor(targets(f"{net / 100:.2f}", "0", "EUR", {"treasury": "12.5"}, {ANA: 3}))
        exact = Fraction(net) * Fraction(125, 1000)
        assert abs(whole.get(TREASURY, 0) - exact) < 1
        assert whole.get(TREASURY, 0) + whole.get(member_key(ANA), 0) == net


# --- Hypothesis: random invoices, payments and credit notes -------------------------------

CURRENCIES = st.sampled_from(["JPY", "EUR", "BHD", "USD", "KWD", "CLP"])


@st.composite
def invoices(draw: st.DrawFn) -> tuple[str, int, int, dict[str, Decimal], dict[int, int]]:
    currency = draw(CURRENCIES)
    net = draw(st.integers(min_value=0, max_value=10**12))
    rate = draw(st.sampled_from([0, 5, 7.5, 10, 12.375, 20, 100]))
    tax = int(Fraction(net) * Fraction(str(rate)) / 100)
    assume(net + tax > 0)
    codes = draw(st.lists(st.sampled_from(["treasury", "sick_pay", "guarantee"]), unique=True))
    percentages: dict[str, Decimal] = {}
    room = 10_000  # hundredths of a percent
    for code in codes:
        hundredths = draw(st.integers(min_value=0, max_value=room))
        percentages[code] = Decimal(hundredths) / 100
        room -= hundredths
    weights = draw(
        st.dictionaries(
            st.integers(min_value=1, max_value=9),
            st.integers(min_value=0, max_value=10**9),
            max_size=5,
        )
    )
    return currency, net, tax, percentages, weights


def cut(data: st.DataObject, total: int, most: int = 6) -> list[int]:
    """``total`` split into up to ``most`` positive amounts, drawn at random."""
    amounts: list[int] = []
    left = total
    while left > 0 and len(amounts) < most - 1:
        amount = data.draw(st.integers(min_value=1, max_value=left), label="payment")
        amounts.append(amount)
        left -= amount
    if left:
        amounts.append(left)
    return amounts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoice=invoices(), data=st.data())
def test_random_invoices_paid_in_random_parts_end_exactly_on_target(
    invoice: tuple[str, int, int, dict[str, Decimal], dict[int, int]], data: st.DataObject
) -> None:
    currency, net, tax, percentages, weights = invoice
    whole = split_targets(
        net=Money.from_minor(net, currency),
        tax=Money.from_minor(tax, currency),
        percentages=percentages,
        member_weights=weights,
    )
    goal = minor(whole)
    # every minor unit is someone's, none negative
    assert sum(goal.values()) == net + tax
    assert all(units > 0 for units in goal.values())
    assert goal.get(TAX, 0) == tax

    # and any sequence of partial payments ends with each exactly on target
    check_sequence(whole, cut(data, net + tax), currency)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoice=invoices(), data=st.data())
def test_random_payments_and_credit_notes_never_drift(
    invoice: tuple[str, int, int, dict[str, Decimal], dict[int, int]], data: st.DataObject
) -> None:
    currency, net, tax, percentages, weights = invoice
    whole = split_targets(
        net=Money.from_minor(net, currency),
        tax=Money.from_minor(tax, currency),
        percentages=percentages,
        member_weights=weights,
    )
    history: list[Mapping[str, int] | Credit] = []
    given: dict[str, int] = defaultdict(int)
    credited_net = credited_tax = 0
    unpaid = net + tax
    events = data.draw(st.integers(min_value=1, max_value=8), label="events")
    for step in range(events):
        if unpaid == 0:
            break
        # as the services do: the targets are replayed from the history each time
        now = targets_after(targets=whole, history=history)
        owed = {t.key: t.amount.minor_units - given.get(t.key, 0) for t in now}
        assert all(left >= 0 for left in owed.values()), "a target fell below what was given"
        assert sum(owed.values()) == unpaid
        last = step == events - 1
        amount = unpaid if last else data.draw(st.integers(1, unpaid), label="amount")
        if not last and data.draw(st.booleans(), label="credit note?"):
            credit = credit_split(
                amount=Money.from_minor(amount, currency),
                invoice_net=Money.from_minor(net, currency),
                invoice_tax=Money.from_minor(tax, currency),
                targets=now,
                already=given,
            )
            assert credit.net.minor_units >= 0 and credit.tax.minor_units >= 0
            assert credit.net.minor_units + credit.tax.minor_units == amount
            tax_owed = owed.get(TAX, 0)
            if tax and net:
                # the invoice's proportion within a unit, unless that would take
                # more tax (or net) than is still owed
                exact = Fraction(amount * tax, net + tax)
                assert (
                    abs(credit.tax.minor_units - exact) < 1
                    or credit.tax.minor_units == tax_owed
                    or credit.net.minor_units == unpaid - tax_owed
                )
            credited_net += credit.net.minor_units
            credited_tax += credit.tax.minor_units
            history.append(credit)
        else:
            parts = minor(
                payment_parts(targets=now, already=given, amount=Money.from_minor(amount, currency))
            )
            assert sum(parts.values()) == amount
            for key, units in parts.items():
                assert 0 < units <= owed[key]
                given[key] += units
            history.append(parts)
        unpaid -= amount

    final = minor(targets_after(targets=whole, history=history))
    # the last payment or credit note left everyone exactly on their target
    assert {key: units for key, units in given.items() if units} == final
    # and in the books: the tax given is the tax invoiced less the tax credited;
    # the rest given is the net invoiced less the net credited (Invoiced ends at zero)
    assert given.get(TAX, 0) == tax - credited_tax
    assert sum(units for key, units in given.items() if key != TAX) == net - credited_net
