"""Opening accounts: Beancount-valid names, owners, one currency each."""

from __future__ import annotations

import pytest

from mutualist.collectives.models import Collective
from mutualist.core.errors import ValidationFailed
from mutualist.ledger.models import Account
from mutualist.ledger.services import (
    account_component,
    account_name_for,
    account_name_validate,
    account_open,
)
from mutualist.ledger.services.accounts import books_component
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "component"),
    [("manila-va", "ManilaVa"), ("ana.reyes", "AnaReyes"), ("2026 q1", "2026Q1"), ("PHP", "PHP")],
)
def test_components_are_made_from_free_text(text: str, component: str) -> None:
    assert account_component(text) == component


def test_a_component_needs_a_letter_or_digit() -> None:
    with pytest.raises(ValidationFailed) as refused:
        account_component("--")
    assert refused.value.code == "invalid_account_name"


def test_conventional_names_put_the_books_after_the_root(cast: Cast) -> None:
    a = cast.collective_a
    assert account_name_for(a, "liabilities", "Members", "ana", "Payable") == (
        "Liabilities:Collectives:ManilaVa:Members:Ana:Payable"
    )


@pytest.mark.parametrize(
    ("name", "type", "code"),
    [
        ("Assets", "assets", "invalid_account_name"),
        ("Liabilities:Bank", "assets", "invalid_account_name"),
        ("Assets:bank", "assets", "invalid_account_name"),
        ("Assets:Bank:", "assets", "invalid_account_name"),
        ("Assets:Bank Account", "assets", "invalid_account_name"),
        ("Assets:Bänk", "assets", "invalid_account_name"),
        ("Assets:Bank", "cash", "invalid_account_type"),
    ],
)
def test_it_refuses_names_beancount_would_not_read(name: str, type: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        account_name_validate(name, type=type)
    assert refused.value.code == code


def test_it_accepts_names_beancount_reads() -> None:
    assert account_name_validate("Assets:Collectives:A-1:2026", type="assets")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"currency": "XYZ"}, "invalid_currency"),
        ({"owner_kind": "stranger"}, "invalid_owner_kind"),
        ({"owner_kind": "member"}, "invalid_owner"),
        ({"owner_kind": "collective", "owner": "ana"}, "invalid_owner"),
    ],
)
def test_it_refuses_a_bad_account_and_opens_nothing(
    cast: Cast, kwargs: dict[str, object], code: str
) -> None:
    if kwargs.get("owner") == "ana":
        kwargs["owner"] = cast.ana
    arguments: dict[str, object] = {
        "collective": cast.collective_a,
        "name": "Assets:Collectives:ManilaVa:Bank:PHP",
        "type": "assets",
        "currency": "PHP",
        **kwargs,
    }
    with pytest.raises(ValidationFailed) as refused:
        account_open(**arguments)  # type: ignore[arg-type]
    assert refused.value.code == code
    assert Account.objects.count() == 0


def test_a_members_account_names_its_owner(cast: Cast) -> None:
    account = account_open(
        collective=cast.collective_a,
        name="Liabilities:Collectives:ManilaVa:Members:Ben:Payable",
        type="liabilities",
        currency="PHP",
        owner_kind="member",
        owner=cast.ben,
        must_not_go_negative=True,
    )
    account.refresh_from_db()
    assert account.owner == cast.ben
    assert account.owner_kind == "member"
    assert not account.is_debit_normal
    assert account.would_go_negative(1) and not account.would_go_negative(-1)


@pytest.mark.parametrize(
    ("slug", "component"),
    [("manila-va", "ManilaVa"), ("team-2024", "Team-2024"), ("team2024", "Team2024"),
     ("2024-team", "2024Team"), ("a-b-c", "ABC")],
)  # fmt: skip
def test_the_books_part_of_a_name_is_one_to_one_with_the_slug(slug: str, component: str) -> None:
    assert books_component(Collective(slug=slug)) == component


def test_two_collectives_whose_slugs_look_alike_keep_their_own_accounts(cast: Cast) -> None:
    from mutualist.collectives.services import collective_create

    first = collective_create(
        creator=cast.carla, name="Team 2024", slug="team-2024", base_currency="PHP",
        is_remote=True,
    )  # fmt: skip
    second = collective_create(
        creator=cast.carla, name="Team2024", slug="team2024", base_currency="PHP", is_remote=True
    )
    names = [
        account_open(
            collective=c, name=account_name_for(c, "assets", "Bank", "PHP"), type="assets",
            currency="PHP",
        ).name
        for c in (first, second)
    ]  # fmt: skip
    assert names == [
        "Assets:Collectives:Team-2024:Bank:PHP",
        "Assets:Collectives:Team2024:Bank:PHP",
    ]
