"""What a commenter or an author types, made safe to put in a page.

Comments are the one place where strangers put markup into our pages. Every
comment body that is stored or rendered goes through ``clean_comment_html``:
nh3 (the Python binding of the Rust ammonia sanitizer, a real HTML5 parser)
keeps exactly the tags and attributes of ``COMMUNITY_COMMENT_ALLOWED_HTML``,
removes every other tag (and the content of ``script`` and ``style``) and
escapes stray ``<``. Not a hand-written filter, and not bleach (deprecated).

URL attributes are checked once more here, because ammonia filters the scheme
of ``href`` but not of ``cite``, and it lets relative URLs through: a comment's
``href`` and ``cite`` keep only absolute http, https and mailto URLs. Links get
``rel="nofollow ugc noopener noreferrer"``.

Post bodies are Markdown (markdown-it-py, raw HTML off) cleaned by nh3 to a
wider list fit for an article: ``render_post_markdown``.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import nh3
from django.conf import settings
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# The attributes whose value is a URL, in both lists below.
_URL_ATTRIBUTES = frozenset({"href", "cite", "src"})
# A scheme, as the URL standard reads one: a letter, then letters, digits, + - .
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Schemes whose URLs the URL standard reads as relative without "//".
_SPECIAL_SCHEMES = frozenset({"http", "https", "ftp", "ws", "wss", "file"})
# Browsers drop these from URLs before reading the scheme ("java\tscript:").
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]")


def _absolute_url_with_scheme(value: str, schemes: frozenset[str]) -> str | None:
    """``value`` if it is an absolute URL with one of ``schemes``, else None.

    http and https need their ``//``: a browser reads ``https:evil.example``
    or ``https:/accounts/logout/`` on an https page as a path on our own site.
    """
    candidate = _URL_IGNORED.sub("", value)
    match = _SCHEME.match(candidate)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if scheme not in schemes:
        return None
    if scheme in _SPECIAL_SCHEMES and not candidate[match.end() :].startswith("//"):
        return None
    return value.strip()


def _comment_policy() -> tuple[set[str], dict[str, set[str]], frozenset[str], str]:
    # Read on every call (cheap), so an operator's settings and a test's
    # override_settings both take effect at once.
    allowed: dict[str, set[str]] = {
        tag: set(attributes) for tag, attributes in settings.COMMUNITY_COMMENT_ALLOWED_HTML.items()
    }
    # ammonia allows lang and title on every tag unless "*" says otherwise:
    # exactly the listed attributes, nothing more.
    allowed["*"] = set()
    schemes = frozenset(s.lower() for s in settings.COMMUNITY_COMMENT_URL_SCHEMES)
    return set(allowed) - {"*"}, allowed, schemes, settings.COMMUNITY_COMMENT_LINK_REL


def allowed_comment_html() -> list[str]:
    """The allowed tags as a reader is told them: ``<a href="" title="">``, ``<b>``…"""
    _, allowed, _, _ = _comment_policy()
    shown = []
    for tag in sorted(allowed.keys() - {"*"}):
        attributes = "".join(f' {name}=""' for name in sorted(allowed[tag]))
        shown.append(f"<{tag}{attributes}>")
    return shown


def clean_comment_html(html: str) -> str:
    """A comment body as it may be stored and shown: only the allowed HTML.

    Tags outside ``settings.COMMUNITY_COMMENT_ALLOWED_HTML`` are removed (their
    text kept, except inside ``script`` and ``style``), attributes outside the
    list are dropped, a ``href`` or ``cite`` that is not an absolute URL with
    an allowed scheme is dropped, every link gets
    ``rel="nofollow ugc noopener noreferrer"``, and text is escaped where it
    would otherwise be markup. Idempotent: cleaning clean HTML changes nothing.
    """
    tags, attributes, schemes, rel = _comment_policy()

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _URL_ATTRIBUTES:
            return _absolute_url_with_scheme(value, schemes)
        return value

    def clean(text: str) -> str:
        return nh3.clean(
            text,
            tags=tags,
            attributes=attributes,
            attribute_filter=keep,
            url_schemes=set(schemes),
            link_rel=rel,
            strip_comments=True,
        )

    # A browser's parser moves some markup (an <a> inside an <a> in a table):
    # clean until the result no longer changes, so what is stored is what a
    # second cleaning on display gives back. Twice suffices in practice.
    cleaned = clean(html)
    for _ in range(3):
        again = clean(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


class _Shape(HTMLParser):
    """What a reader would notice of some HTML: its tags with their
    attributes, and its text (unescaped). Closing tags do not count: the
    sanitizer closes what was left open."""

    def __init__(self, html: str, *, link_rel: str) -> None:
        super().__init__(convert_charrefs=True)
        self.link_rel = link_rel
        self.tags: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # The rel the sanitizer puts on every link is its own, not the writer's.
        kept = ((name, (value or "").strip()) for name, value in attrs)
        self.tags.append((tag, tuple(sorted(a for a in kept if a != ("rel", self.link_rel)))))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.tags.append(("!--", ()))

    def handle_decl(self, decl: str) -> None:
        self.tags.append(("!", ()))

    def unknown_decl(self, data: str) -> None:
        self.tags.append(("!", ()))

    def handle_pi(self, data: str) -> None:
        self.tags.append(("?", ()))

    def shape(self) -> tuple[list[tuple[str, tuple[tuple[str, str], ...]]], str]:
        return self.tags, " ".join("".join(self.text).split())


def comment_markup_removed(typed: str, cleaned: str) -> bool:
    """Whether ``clean_comment_html`` took away something of ``typed`` to
    give ``cleaned``: a tag, an attribute (a ``javascript:`` link's href), a
    comment, or text (a ``<script>``'s).

    Not a plain comparison of the two strings: cleaning also escapes a
    stray ``<`` or ``&``, quotes attributes, closes open tags and adds
    ``rel`` to links, and none of that loses anything the writer typed.
    So a commenter can be told their HTML was cut only when it was.
    """
    rel = settings.COMMUNITY_COMMENT_LINK_REL
    try:
        return _Shape(typed, link_rel=rel).shape() != _Shape(cleaned, link_rel=rel).shape()
    except Exception:  # html.parser gives up on some garbage ("<![;x")
        # Markup too broken to read was not kept as typed. And this is only
        # advice, asked after the comment is stored: it must never fail.
        return True


# --- Posts ---------------------------------------------------------------------

_POST_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h2", "h3", "h4", "h5", "h6", "table", "thead",
    "tbody", "tr", "th", "td", "del", "s", "img",
}  # fmt: skip
_POST_ATTRIBUTES = {
    "*": set(),  # not ammonia's default lang and title on every tag
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
_POST_SCHEMES = frozenset({"http", "https", "mailto"})
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def _keep_post_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "src":  # images only over https: no mixed content, no data: URLs
        return _absolute_url_with_scheme(value, frozenset({"https"}))
    if attribute == "href":
        # Links within the site (/blog/…, #notes) are fine in an article.
        # A browser drops tabs and newlines and reads "\\" as "/": "/\\evil.example"
        # and "/\t/evil.example" are other sites, not paths.
        candidate = _URL_IGNORED.sub("", value).replace("\\", "/")
        if candidate.startswith("#") or (
            candidate.startswith("/") and not candidate.startswith("//")
        ):
            return value
        return _absolute_url_with_scheme(value, _POST_SCHEMES)
    return value


def render_post_markdown(text: str) -> SafeString:
    """A post's Markdown as sanitized HTML, safe to put in a page or a feed.

    A level-one heading becomes level two: the page's title is the only ``h1``.
    """
    html = _md.render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    cleaned = nh3.clean(
        html,
        tags=_POST_TAGS,
        attributes=_POST_ATTRIBUTES,
        attribute_filter=_keep_post_attribute,
        url_schemes=set(_POST_SCHEMES),
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 -- nh3 has just sanitized it


def plain_text(html: str) -> str:
    """The text of sanitized HTML, unescaped, whitespace collapsed (summaries).

    Not markup: a template escapes it again where it is shown.
    """
    return " ".join(unescape(strip_tags(html)).split())
