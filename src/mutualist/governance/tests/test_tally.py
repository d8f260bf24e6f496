"""The counting rules: quorum, threshold, consent with a block (pure, no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mutualist.governance.tally import Tally, count, quorum_needed


def tally(*choices: str, eligible: int, quorum: str = "50", threshold: str = "50", proxied=0):
    ballots = [(c, i < proxied) for i, c in enumerate(choices)]
    return count(
        choices=ballots,
        eligible=eligible,
        quorum_percent=Decimal(quorum),
        threshold_percent=Decimal(threshold),
    )


@pytest.mark.parametrize(
    ("eligible", "percent", "needed"),
    [
        (10, "50", 5),
        (9, "50", 5),  # 4.5 rounds up
        (3, "33.33", 1),  # 0.9999 rounds up to 1
        (3, "33.34", 2),  # 1.0002 rounds up to 2
        (7, "0", 0),
        (7, "100", 7),
        (0, "50", 0),
        (1, "0.01", 1),
    ],
)
def test_quorum_needed_is_the_ceiling_of_the_share(eligible, percent, needed):
    assert quorum_needed(eligible=eligible, quorum_percent=Decimal(percent)) == needed


def test_one_ballot_short_of_the_quorum_is_no_quorum_even_if_all_are_for():
    result = tally("yes", "yes", "yes", "yes", eligible=9)  # needs 5
    assert (result.outcome, result.quorum_needed, result.quorum_met) == ("no_quorum", 5, False)
    assert tally("yes", "yes", "yes", "yes", "yes", eligible=9).outcome == "passed"


def test_a_zero_quorum_passes_with_one_vote_and_fails_with_none():
    assert tally("yes", eligible=10, quorum="0").outcome == "passed"
    assert tally(eligible=10, quorum="0").outcome == "failed"


def test_with_nobody_eligible_there_is_no_quorum():
    result = tally(eligible=0, quorum="0")
    assert (result.outcome, result.quorum_met) == ("no_quorum", False)


def test_a_tie_fails_at_a_50_percent_threshold():
    assert tally("yes", "no", eligible=2).outcome == "failed"
    assert tally("agree", "agree", "disagree", "disagree", eligible=4).outcome == "failed"
    assert tally("yes", "yes", "no", eligible=3).outcome == "passed"


def test_two_thirds_threshold():
    # 2 of 3 is 66.666...%: below 66.67, at 66.66
    assert tally("yes", "yes", "no", eligible=3, threshold="66.67").outcome == "failed"
    assert tally("yes", "yes", "no", eligible=3, threshold="66.66").outcome == "passed"
    assert tally("yes", "yes", "yes", "no", eligible=4, threshold="66.67").outcome == "passed"


def test_a_100_percent_threshold_is_unanimity_of_those_for_or_against():
    assert tally("yes", "yes", "yes", eligible=3, threshold="100").outcome == "passed"
    assert tally("yes", "yes", "no", eligible=3, threshold="100").outcome == "failed"
    # an abstention does not break unanimity
    assert tally("agree", "abstain", eligible=2, threshold="100").outcome == "passed"


def test_abstentions_count_for_the_quorum_only():
    # given four eligible, quorum 75 % (3 ballots): one for, two abstaining
    result = tally("agree", "abstain", "abstain", eligible=4, quorum="75")
    assert result.quorum_met
    assert (result.for_votes, result.against_votes) == (1, 0)
    assert result.outcome == "passed"
    # and abstentions alone make the quorum but pass nothing
    assert tally("abstain", "abstain", "abstain", eligible=4, quorum="75").outcome == "failed"


def test_one_block_stops_a_consent_proposal_even_against_everyone_else():
    result = tally("agree", "agree", "agree", "block", eligible=4)
    assert (result.outcome, result.counts["block"]) == ("blocked", 1)


def test_a_block_is_recorded_as_blocked_even_without_quorum():
    assert tally("block", eligible=10).outcome == "blocked"


def test_the_tally_separates_direct_and_proxied_ballots():
    result = tally("yes", "yes", "no", eligible=5, proxied=2)
    assert (result.direct, result.by_proxy, result.voted) == (1, 2, 3)
    assert result.as_json() == {
        "eligible": 5,
        "voted": 3,
        "direct": 1,
        "by_proxy": 2,
        "quorum_needed": 3,
        "counts": {"no": 1, "yes": 2},
    }


# --- Properties -------------------------------------------------------------------------

consent_choice = st.sampled_from(["agree", "abstain", "disagree", "block"])
no_block = st.sampled_from(["agree", "abstain", "disagree"])
percent = st.decimals(min_value=0, max_value=100, places=2)
threshold = st.decimals(min_value=50, max_value=100, places=2)


def _count(choices: list[str], extra: int, q: Decimal, t: Decimal) -> Tally:
    return count(
        choices=[(c, False) for c in choices],
        eligible=len(choices) + extra,
        quorum_percent=q,
        threshold_percent=t,
    )


@given(st.lists(consent_choice, max_size=30), st.integers(0, 10), percent, threshold)
def test_passed_means_more_for_than_against_and_quorum_met(choices, extra, q, t):
    result = _count(choices, extra, q, t)
    if result.outcome == "passed":
        assert result.for_votes > result.against_votes
        assert result.for_votes * 100 >= t * (result.for_votes + result.against_votes)
        assert result.quorum_met
        assert "block" not in result.counts


@given(st.lists(consent_choice, max_size=30), st.integers(0, 10), percent, threshold)
def test_adding_a_block_never_passes(choices, extra, q, t):
    assert _count([*choices, "block"], extra, q, t).outcome == "blocked"


@given(st.lists(no_block, max_size=30), st.integers(0, 10), percent, threshold)
def test_turning_a_ballot_into_for_never_turns_passed_into_failed(choices, extra, q, t):
    before = _count(choices, extra, q, t)
    for i, choice in enumerate(choices):
        if choice != "agree":
            after = _count([*choices[:i], "agree", *choices[i + 1 :]], extra, q, t)
            if before.outcome == "passed":
                assert after.outcome == "passed"


@given(st.lists(no_block, max_size=30), st.integers(0, 10), percent, threshold)
def test_one_more_member_voting_for_never_undoes_a_pass(choices, extra, q, t):
    # the new voter was among the eligible who had not voted
    before = _count(choices, extra + 1, q, t)
    after = _count([*choices, "agree"], extra, q, t)
    if before.outcome == "passed":
        assert after.outcome == "passed"


@given(st.lists(consent_choice, max_size=30), st.integers(0, 10), percent, threshold)
def test_the_counts_add_up(choices, extra, q, t):
    result = _count(choices, extra, q, t)
    assert sum(result.counts.values()) == result.voted == len(choices)
    assert all(n > 0 for n in result.counts.values())


@given(st.lists(no_block, max_size=12), st.integers(0, 4), percent, threshold)
def test_the_outcome_matches_a_brute_force_reading_of_the_rules(choices, extra, q, t):
    eligible = len(choices) + extra
    in_favour = choices.count("agree")
    against = choices.count("disagree")
    needed = next(n for n in range(eligible + 1) if n * 100 >= q * eligible)
    if eligible == 0 or len(choices) < needed:
        expected = "no_quorum"
    elif in_favour > against and in_favour * 100 >= t * (in_favour + against):
        expected = "passed"
    else:
        expected = "failed"
    assert _count(choices, extra, q, t).outcome == expected
