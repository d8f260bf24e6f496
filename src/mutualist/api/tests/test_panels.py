"""The API's panel on the member's dashboard: the way to their tokens page.

members' dashboard template knows nothing of the api app; this panel, which
the api app registers in its ``ready()``, is the only link there to /me/tokens/.
"""

from __future__ import annotations

from django.urls import reverse

from mutualist.api.services import api_token_create, api_token_revoke
from mutualist.members.panels import dashboard_panels

TOKENS_PAGE_LINK = '<a href="/me/tokens/">Manage your API tokens</a>'


def dashboard(client) -> str:
    response = client.get(reverse("members:dashboard"))
    assert response.status_code == 200
    return str(response.content.decode())


def test_the_dashboard_links_to_the_tokens_page_and_says_none_are_active(cast, client_for):
    page = dashboard(client_for(cast.olga))

    assert '<h2 id="api-access-heading">API access</h2>' in page
    assert TOKENS_PAGE_LINK in page
    assert "You have no active API tokens." in page


def test_the_panel_counts_only_the_members_own_active_tokens(cast, client_for):
    # given: Ben has two tokens and revoked a third; Ana has one of her own
    api_token_create(user=cast.ben, name="laptop")
    api_token_create(user=cast.ben, name="backup script")
    old = api_token_create(user=cast.ben, name="old phone")
    api_token_revoke(token=old.token, actor=cast.ben)
    api_token_create(user=cast.ana, name="Ana's script")

    # when
    ben_page = dashboard(client_for(cast.ben))
    ana_page = dashboard(client_for(cast.ana))

    # then
    assert "You have 2 active API tokens." in ben_page
    assert "You have 1 active API token." in ana_page
    # the panel shows a count, never a token's name
    assert "laptop" not in ben_page
    assert "Ana&#x27;s script" not in ana_page


def test_the_panel_sits_below_the_account_card_after_the_collectives(cast, client_for):
    page = dashboard(client_for(cast.ben))

    account = page.index('id="account-heading"')
    collectives = page.index('id="collectives-heading"')
    api_access = page.index('id="api-access-heading"')
    assert account < collectives < api_access
    assert page.count(TOKENS_PAGE_LINK) == 1


def test_the_api_registers_its_panel_with_members(cast, rf):
    request = rf.get("/me/")
    request.user = cast.olga

    templates = [panel.template for panel in dashboard_panels(request)]

    assert "api/panels/dashboard_api_access.html" in templates
