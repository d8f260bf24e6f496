"""A form sent without its CSRF token gets the site's own page, which works
under the blog's Content-Security-Policy (Django's built-in page styles
itself inline, and that policy refuses inline styles)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/blog/any-post/comments/", "/collectives/new/"])
def test_a_post_without_its_csrf_token_gets_the_sites_page(path: str) -> None:
    response = Client(enforce_csrf_checks=True).post(path, {"body": "hi"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "That form has expired" in page
    assert "nothing was\n    changed" in page
    assert "<style" not in page
    assert 'style="' not in page
