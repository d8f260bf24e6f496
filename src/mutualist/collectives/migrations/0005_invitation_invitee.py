"""Invitation.invitee: the account an invitation shows as an "invited" membership.

The invited row used to be found again by the invitation's address, so it was
left behind when the person changed their login email before the invitation
was answered, revoked or expired. Pending invitations that already show as an
invited row are linked to that row's person here (matched by the address, the
only link there was).
"""

from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def link_invited_rows(apps, schema_editor):
    Invitation = apps.get_model("collectives", "Invitation")
    Membership = apps.get_model("collectives", "Membership")
    for invitation in Invitation.objects.filter(state="pending", invitee__isnull=True):
        invited = Membership.objects.filter(
            collective_id=invitation.collective_id,
            user__email__iexact=invitation.email,
            state="invited",
        ).first()
        if invited is not None:
            Invitation.objects.filter(pk=invitation.pk).update(invitee_id=invited.user_id)


class Migration(migrations.Migration):
    dependencies = [
        ("collectives", "0004_bylaws_immutable"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="invitee",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(link_invited_rows, migrations.RunPython.noop),
    ]
