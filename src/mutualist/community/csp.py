"""The blog's Content-Security-Policy: a second line of defence for comments.

Comments are the one place where strangers put markup into our pages.
``clean_comment_html`` is the first line; if it ever let something through
(a parser bug, a row written by hand), this header tells the browser not to
run it: no inline script, no event-handler attribute, no ``javascript:`` URL,
no script from another origin.

Why only the blog and not site-wide: Django 5.2 has no built-in CSP (6.0
brings one), and django-csp is a middleware for every page, while issue #8
asks for the blog's pages. The rest of the site has never been audited
against this policy (the funds pages carry inline ``<style>``), so turning
it on everywhere would break them. When the whole site is ready, the same
policy can move into settings and Django's own middleware.

It is set by ``community.middleware.BlogContentSecurityPolicyMiddleware`` on
every response under ``/blog/``, not by a decorator on the blog's views: a
decorator never sees the responses that no blog view makes: the CSRF
failure page, the 404 for a path under ``/blog/`` that matches no route,
the 500 page.

htmx would insert an inline ``<style>`` for its request indicators, which
``style-src 'self'`` refuses, and would evaluate ``hx-on``/``js:`` attribute
code with ``eval``: every blog page carries
``<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}'>``
(``community/_head.html``), and the blocks of user content (a post's body, a
comment's) carry ``hx-disable``, so htmx ignores any ``hx-*`` attribute in them.
"""

from __future__ import annotations

HEADER = "Content-Security-Policy"

_DIRECTIVES = (
    # Anything not named below: only from our own origin.
    "default-src 'self'",
    # Scripts only from our own files (htmx): no inline <script>, no on*=
    # attributes, no javascript: URLs, no eval. This is the line that matters.
    "script-src 'self'",
    # Stylesheets only from our files: no <style> or style="" a comment could
    # use to overlay the page or exfiltrate through CSS.
    "style-src 'self'",
    # Post bodies may show images from any https site; Pico's icons are data: SVGs.
    "img-src 'self' https: data:",
    # No <object>/<embed> plug-ins.
    "object-src 'none'",
    # No <base href> to re-point every relative link and form of the page.
    "base-uri 'none'",
    # Forms post only to us: an injected form cannot send a password elsewhere.
    "form-action 'self'",
    # No one frames the blog (clickjacking), as X-Frame-Options DENY says too.
    "frame-ancestors 'none'",
)
POLICY = "; ".join(_DIRECTIVES)
