"""The simulator's shared pieces: input checks, chunks and their random streams."""

from __future__ import annotations

import numpy as np
import pytest

from mutualist.engines.solvency._common import (
    bernoulli_standard_error,
    check_amounts,
    check_int,
    check_number,
    chunks,
    seed_sequence,
)


def test_it_accepts_a_number_within_its_bounds():
    assert check_number(3, "rate", low=0.0) == 3.0
    assert check_number(np.float64(0.5), "share", low=0.0, high=1.0) == 0.5


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (-1, {"low": 0.0}, "claim_rate must be at least 0; got -1."),
        (0, {"low": 0.0, "low_open": True}, "claim_rate must be above 0; got 0."),
        (1.5, {"high": 1.0}, "claim_rate must be at most 1; got 1.5."),
        (1, {"high": 1.0, "high_open": True}, "claim_rate must be below 1; got 1."),
        (True, {}, "claim_rate must be a number; got True."),
        ("2", {}, "claim_rate must be a number; got '2'."),
        (float("nan"), {}, "claim_rate must be a finite number; got nan."),
        (float("inf"), {}, "claim_rate must be a finite number; got inf."),
    ],
)
def test_it_refuses_a_bad_number_naming_it(value, kwargs, message):
    with pytest.raises(ValueError) as caught:
        check_number(value, "claim_rate", **kwargs)
    assert str(caught.value) == message


def test_a_whole_number_past_float64_is_refused_naming_it_not_overflowing():
    # Given an int no float can hold (JSON reads 1 followed by 400 zeros as one)
    with pytest.raises(ValueError) as caught:
        check_number(10**400, "initial_balance", low=0.0)

    # Then a ValueError naming it, its size in digits (not 401 characters of it)
    assert str(caught.value) == (
        "initial_balance must be a finite number; got a whole number of 401 digits."
    )


def test_a_huge_whole_number_past_its_bound_is_shown_by_its_digits():
    with pytest.raises(ValueError) as caught:
        check_int(10**40, "tier_members[0]", low=0, high=1_000_000)
    assert str(caught.value) == (
        "tier_members[0] must be at most 1000000; got a whole number of 41 digits."
    )
    with pytest.raises(ValueError) as caught:
        check_int(10**19, "waiting_days", low=0, high=3650)
    assert str(caught.value) == "waiting_days must be at most 3650; got 10000000000000000000."


def test_amounts_may_have_an_upper_bound():
    with pytest.raises(ValueError) as caught:
        check_amounts([5.0, 1e308], "invoice_amounts", high=1e12)
    assert str(caught.value) == "invoice_amounts[1] must be at most 1000000000000; got 1e+308."


def test_it_refuses_a_bad_whole_number_naming_it():
    assert check_int(5, "months", low=1) == 5
    for value, message in [
        (0, "months must be at least 1; got 0."),
        (1000, "months must be at most 600; got 1000."),
        (2.0, "months must be a whole number; got 2.0."),
        (False, "months must be a whole number; got False."),
    ]:
        with pytest.raises(ValueError) as caught:
            check_int(value, "months", low=1, high=600)
        assert str(caught.value) == message


def test_it_names_the_first_bad_amount():
    assert check_amounts([1, 2.5], "claims").tolist() == [1.0, 2.5]
    assert check_amounts([0, 2], "amounts", positive=False).tolist() == [0.0, 2.0]
    for values, message in [
        ([1, -2.0], "claims[1] must be above 0; got -2."),
        ([0], "claims[0] must be above 0; got 0."),
        ([], "claims must hold at least one number."),
        ("12", "claims must be a list of numbers; got '12'."),
    ]:
        with pytest.raises(ValueError) as caught:
            check_amounts(values, "claims")
        assert str(caught.value) == message


def test_chunks_cover_every_path_once_the_last_one_smaller():
    sizes = [chunk.paths for chunk in chunks(10, 4, seed_sequence(1))]
    assert sizes == [4, 4, 2]
    assert [chunk.index for chunk in chunks(10, 4, seed_sequence(1))] == [0, 1, 2]


def test_a_chunk_draws_the_same_numbers_for_the_same_seed_and_other_numbers_for_another():
    first = [chunk.rng.random(3).tolist() for chunk in chunks(9, 3, seed_sequence(7))]
    again = [chunk.rng.random(3).tolist() for chunk in chunks(9, 3, seed_sequence(7))]
    other = [chunk.rng.random(3).tolist() for chunk in chunks(9, 3, seed_sequence(8))]
    assert first == again
    assert first[0] != first[1] != first[2]
    assert first[0] != other[0]


def test_chunk_i_draws_from_the_i_th_spawned_child_of_the_seed():
    sequence = np.random.SeedSequence(42)
    children = np.random.SeedSequence(42).spawn(3)
    for chunk, child in zip(chunks(30, 10, sequence), children, strict=True):
        assert chunk.rng.random() == np.random.default_rng(child).random()


def test_rng_may_be_a_seed_a_sequence_or_a_seeded_generator():
    assert seed_sequence(5).entropy == 5
    sequence = np.random.SeedSequence(9)
    assert seed_sequence(sequence) is sequence
    assert seed_sequence(np.random.default_rng(11)).entropy == 11
    assert seed_sequence(None).entropy is not None
    for bad, message in [
        (-1, "seed must be at least 0; got -1."),
        ("x", "rng must be a seed, a SeedSequence or a Generator; got 'x'."),
        (True, "rng must be a seed, a SeedSequence or a Generator; got True."),
    ]:
        with pytest.raises(ValueError) as caught:
            seed_sequence(bad)
        assert str(caught.value) == message


def test_a_generator_gives_its_seed_sequence_and_is_not_advanced():
    # Given a generator seeded with 7
    generator = np.random.default_rng(7)

    # When it is turned into the run's seed sequence twice
    first = seed_sequence(generator)
    again = seed_sequence(generator)

    # Then both are its own seed sequence (the seed 7's), and it drew nothing
    assert first is again is generator.bit_generator.seed_seq
    assert first.entropy == seed_sequence(7).entropy == 7
    assert generator.random() == np.random.default_rng(7).random()


def test_the_standard_error_of_a_share():
    assert bernoulli_standard_error(0, 100) == 0.0
    assert bernoulli_standard_error(100, 100) == 0.0
    assert bernoulli_standard_error(50, 100) == pytest.approx(0.05)
    assert bernoulli_standard_error(0, 0) == 0.0
