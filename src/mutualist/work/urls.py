"""The work domain's pages: each area's view module lists its own patterns."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from mutualist.work.views import (
    board,
    calendar,
    clients,
    engagements,
    pitches,
    portal,
    proposals,
    time,
    timesheets,
)

app_name = "work"

urlpatterns: list[URLPattern | URLResolver] = [
    *board.urlpatterns,
    *portal.urlpatterns,
    *clients.urlpatterns,
    *pitches.urlpatterns,
    *proposals.urlpatterns,
    *engagements.urlpatterns,
    *time.urlpatterns,
    *timesheets.urlpatterns,
    *calendar.urlpatterns,
]
