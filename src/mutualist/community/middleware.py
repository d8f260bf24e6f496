"""The blog's Content-Security-Policy on every response under ``/blog/``.

A middleware rather than a decorator on the blog's views, so that the
responses no blog view makes carry it too: the CSRF failure page (made by
``CsrfViewMiddleware`` before any view runs), the 404 for a path under
``/blog/`` that matches no route, and the 500 page. It sits right after
``SecurityMiddleware`` in ``settings.MIDDLEWARE``, outside every middleware
that may answer on its own, so it sees each of those answers. The policy
itself, and why it is the blog's alone, is in ``community.csp``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from mutualist.community.csp import HEADER, POLICY

# Where community.urls mounts the blog (a test checks the two agree).
PATH_PREFIX = "/blog/"


class BlogContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # path_info: the path the URLconf routes, whatever SCRIPT_NAME the
        # site is served under.
        if request.path_info.startswith(PATH_PREFIX):
            response[HEADER] = POLICY
        return response
