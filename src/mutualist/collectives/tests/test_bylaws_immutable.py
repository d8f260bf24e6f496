"""The database itself refuses to edit a bylaws version (triggers, both vendors)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from mutualist.collectives.models import Bylaws, SplitShare


def test_the_database_refuses_to_edit_a_bylaws_version(cast):
    bylaws = Bylaws.objects.get(collective=cast.collective_a, version=1)
    with pytest.raises(DatabaseError, match="bylaws versions are immutable"), transaction.atomic():
        Bylaws.objects.filter(pk=bylaws.pk).update(admission_rule="open")
    bylaws.refresh_from_db()
    assert bylaws.admission_rule == "coordinator"


def test_the_database_refuses_to_edit_a_split_share(cast):
    share = SplitShare.objects.get(bylaws__collective=cast.collective_a)
    with pytest.raises(DatabaseError, match="bylaws versions are immutable"), transaction.atomic():
        SplitShare.objects.filter(pk=share.pk).update(percent=Decimal("50"))
    share.refresh_from_db()
    assert share.percent == Decimal("10.00")


def test_a_collective_can_still_be_deleted_with_its_history(cast):
    cast.collective_b.delete()
    assert not Bylaws.objects.filter(collective_id=cast.collective_b.pk).exists()
