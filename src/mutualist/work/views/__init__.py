"""The work domain's pages, one module per area; each module exports its own
``urlpatterns`` that ``work.urls`` joins."""
