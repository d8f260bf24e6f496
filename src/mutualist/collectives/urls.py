from __future__ import annotations

from django.urls import path

from mutualist.collectives import views

app_name = "collectives"

urlpatterns = [
    path("collectives/", views.directory, name="directory"),
    path("collectives/new/", views.create, name="create"),
    path("collectives/<slug:slug>/", views.detail, name="detail"),
    path("collectives/<slug:slug>/edit/", views.edit, name="edit"),
    path("collectives/<slug:slug>/invite/", views.invite, name="invite"),
    path("collectives/<slug:slug>/apply/", views.apply, name="apply"),
    path("collectives/<slug:slug>/leave/", views.leave, name="leave"),
    path(
        "collectives/<slug:slug>/applications/<int:membership_id>/",
        views.application_decide,
        name="application_decide",
    ),
    path(
        "collectives/<slug:slug>/members/<int:membership_id>/role/",
        views.membership_role,
        name="membership_role",
    ),
    path(
        "collectives/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("collectives/<slug:slug>/bylaws/", views.bylaws, name="bylaws"),
    path("invitations/<str:token>/", views.invitation_respond, name="invitation"),
]
