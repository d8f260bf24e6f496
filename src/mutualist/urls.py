from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from mutualist.api.urls import api
from mutualist.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("", include("mutualist.members.urls")),
    path("", include("mutualist.collectives.urls")),
    path("", include("mutualist.governance.urls")),
    path("", include("mutualist.ledger.urls")),
    path("", include("mutualist.work.urls")),
    path("", include("mutualist.billing.urls")),
    path("", include("mutualist.mutual.urls")),
    path("", include("mutualist.community.urls")),
    path("me/tokens/", include("mutualist.api.token_urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler404 = "mutualist.core.views.not_found"
handler403 = "mutualist.core.views.forbidden"
handler500 = "mutualist.core.views.server_error"
