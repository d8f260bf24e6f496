"""The comment sanitizer against the XSS corpus, checked by parsers that are not its own.

``clean_comment_html`` (nh3) must turn every vector of the corpus into HTML
that holds only the issue's tags and attributes, no event handler, no URL
but an absolute http, https or mailto one, ``rel="nofollow ugc noopener
noreferrer"`` on every link; and cleaning its output again changes nothing.
Python's tokenizer and tinyhtml5 (a WHATWG tree builder, as a browser parses)
say what the output is; the check is ``xss_corpus.html_problems``. Posts'
Markdown goes through ``render_post_markdown`` and the same check with an
article's wider list.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mutualist.community.sanitize import (
    allowed_comment_html,
    clean_comment_html,
    plain_text,
    render_post_markdown,
)
from mutualist.community.tests.xss_corpus import (
    ALLOWED_SAMPLES,
    COMMENT_LINK_REL,
    COMMENT_POLICY,
    FRAGMENTS,
    INERT,
    ISSUE_ALLOWED_HTML,
    MARKDOWN_VECTORS,
    POST_POLICY,
    VECTORS,
    Policy,
    elements,
    html_problems,
)


def vector_params(vectors: dict[str, str]) -> list[Any]:
    return [pytest.param(html, id=name) for name, html in vectors.items()]


# --- The corpus ------------------------------------------------------------------------


def test_the_corpus_is_big_enough_to_mean_something():
    assert len(VECTORS) >= 80
    assert VECTORS.keys() >= INERT


@pytest.mark.parametrize("name", [n for n in VECTORS if n not in INERT])
def test_the_check_flags_each_vector_as_typed(name):
    # The check is not vacuous: every vector (but the harmless ones) fails it raw.
    assert html_problems(VECTORS[name]) != []


@pytest.mark.parametrize("name", sorted(INERT))
def test_the_check_passes_the_vectors_that_are_harmless_as_typed(name):
    assert html_problems(VECTORS[name]) == []


@pytest.mark.parametrize("html", vector_params(VECTORS))
def test_no_vector_survives_cleaning(html):
    # when
    cleaned = clean_comment_html(html)
    # then
    assert html_problems(cleaned) == []


@pytest.mark.parametrize("html", vector_params(VECTORS))
def test_no_vector_survives_cleaning_once_put_in_a_page(html):
    # Between our own tags, as the page shows it: a half-open tag the
    # sanitizer left would be closed by the page's next ">".
    cleaned = clean_comment_html(html)
    assert html_problems(f'<div class="comment-body">{cleaned}</div><p class="x">after</p>',
                         policy=Policy(
                             allowed={**COMMENT_POLICY.allowed, "div": frozenset({"class"}),
                                      "p": frozenset({"class"})},
                             schemes=COMMENT_POLICY.schemes,
                             link_rel=COMMENT_POLICY.link_rel,
                         )) == []  # fmt: skip


@pytest.mark.parametrize("html", vector_params(VECTORS))
def test_cleaning_is_idempotent(html):
    cleaned = clean_comment_html(html)
    assert clean_comment_html(cleaned) == cleaned


def test_a_javascript_link_keeps_its_text_and_loses_its_href():
    # given
    html = '<a href="jav&#x09;ascript:alert(1)" title="Docs">the docs</a>'
    # when
    cleaned = clean_comment_html(html)
    # then
    assert cleaned == f'<a title="Docs" rel="{COMMENT_LINK_REL}">the docs</a>'


def test_a_script_loses_its_content_and_other_tags_keep_their_text():
    assert clean_comment_html("<script>alert(1)</script>kept") == "kept"
    assert clean_comment_html("<div><span>kept</span></div>") == "kept"
    assert clean_comment_html("<style>p{}</style><b>kept</b>") == "<b>kept</b>"


def test_a_links_own_rel_and_target_are_replaced():
    cleaned = clean_comment_html('<a href="https://ok.example/" rel="opener" target="_blank">x</a>')
    assert cleaned == f'<a href="https://ok.example/" rel="{COMMENT_LINK_REL}">x</a>'


# --- What must survive -----------------------------------------------------------------


def test_the_allowed_list_is_exactly_the_issues():
    configured = {
        tag: frozenset(attrs) for tag, attrs in settings.COMMUNITY_COMMENT_ALLOWED_HTML.items()
    }
    assert configured == ISSUE_ALLOWED_HTML
    assert set(settings.COMMUNITY_COMMENT_URL_SCHEMES) == {"http", "https", "mailto"}
    assert settings.COMMUNITY_COMMENT_LINK_REL == COMMENT_LINK_REL


def test_the_list_shown_to_readers_is_the_issues_word_for_word():
    assert allowed_comment_html() == [
        '<a href="" title="">',
        '<abbr title="">',
        '<acronym title="">',
        "<b>",
        '<blockquote cite="">',
        "<cite>",
        "<code>",
        '<del datetime="">',
        "<em>",
        "<i>",
        '<q cite="">',
        "<strike>",
        "<strong>",
    ]


def test_every_allowed_tag_has_a_sample():
    assert {tag for _, tag, _ in ALLOWED_SAMPLES} == set(ISSUE_ALLOWED_HTML)
    sampled = {(tag, attr) for _, tag, attrs in ALLOWED_SAMPLES for attr in attrs}
    assert sampled == {(tag, attr) for tag, attrs in ISSUE_ALLOWED_HTML.items() for attr in attrs}


@pytest.mark.parametrize(
    ("html", "tag", "attributes"), ALLOWED_SAMPLES, ids=[s[0][:30] for s in ALLOWED_SAMPLES]
)
def test_every_allowed_tag_and_attribute_survives(html, tag, attributes):
    # when
    cleaned = clean_comment_html(html)
    # then: one element, the same tag, the same attributes (and rel on a link)
    found = elements(cleaned)
    assert [e.tag for e in found] == [tag]
    expected = dict(attributes, rel=COMMENT_LINK_REL) if tag == "a" else attributes
    assert found[0].attrib == expected
    assert found[0].text == elements(html)[0].text
    assert html_problems(cleaned) == []


def test_nested_allowed_markup_survives_whole():
    html = (
        '<blockquote cite="https://example.org/">As <cite>the bylaws</cite> say: '
        '<q cite="https://example.org/q"><em>one</em> <strong>vote</strong> '
        '<abbr title="per">/</abbr> member</q></blockquote>'
    )
    assert clean_comment_html(html) == html


def test_text_with_angle_brackets_and_ampersands_is_kept_as_escaped_text():
    # when
    cleaned = clean_comment_html("3 < 4 & 5 > 2")
    # then
    assert cleaned == "3 &lt; 4 &amp; 5 &gt; 2"
    assert plain_text(cleaned) == "3 < 4 & 5 > 2"
    assert elements(cleaned) == []


def test_entities_a_commenter_typed_stay_text():
    cleaned = clean_comment_html("&lt;b&gt;not bold&lt;/b&gt; &amp;copy;")
    assert cleaned == "&lt;b&gt;not bold&lt;/b&gt; &amp;copy;"
    assert elements(cleaned) == []


@override_settings(
    COMMUNITY_COMMENT_ALLOWED_HTML={"b": set(), "a": {"title"}, "p": set(), "q": set()}
)
def test_the_settings_decide_what_survives():
    # given: an operator allows <p>, keeps <b>, <q> without cite, <a> without href
    # when / then
    assert clean_comment_html("<p>para</p>") == "<p>para</p>"
    assert clean_comment_html("<i>x</i><b>y</b>") == "x<b>y</b>"
    assert clean_comment_html('<a href="https://ok.example/" title="t">l</a>') == (
        f'<a title="t" rel="{COMMENT_LINK_REL}">l</a>'
    )
    assert clean_comment_html('<q cite="https://ok.example/">q</q>') == "<q>q</q>"
    assert clean_comment_html("<strong>s</strong>") == "s"
    assert allowed_comment_html() == ['<a title="">', "<b>", "<p>", "<q>"]


@override_settings(COMMUNITY_COMMENT_URL_SCHEMES={"https"})
def test_the_settings_decide_which_schemes_a_link_keeps():
    assert clean_comment_html('<a href="http://ok.example/">x</a>') == (
        f'<a rel="{COMMENT_LINK_REL}">x</a>'
    )
    assert clean_comment_html('<a href="mailto:a@ok.example">x</a>') == (
        f'<a rel="{COMMENT_LINK_REL}">x</a>'
    )


# --- Properties ------------------------------------------------------------------------

SOUP = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(list(VECTORS.values())), st.text()),
    max_size=12,
).map("".join)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_comes_out_clean_and_stable(text):
    cleaned = clean_comment_html(text)
    assert html_problems(cleaned) == []
    assert clean_comment_html(cleaned) == cleaned


@hypothesis_settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SOUP)
def test_random_tag_soup_from_the_corpus_never_yields_a_disallowed_tag_or_attribute(soup):
    cleaned = clean_comment_html(soup)
    assert html_problems(cleaned) == []
    assert clean_comment_html(cleaned) == cleaned


# --- Posts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", list(VECTORS.values()) + list(MARKDOWN_VECTORS.values()),
    ids=list(VECTORS) + list(MARKDOWN_VECTORS),
)  # fmt: skip
def test_no_vector_survives_a_posts_markdown(text):
    # when
    html = str(render_post_markdown(text))
    # then
    assert html_problems(html, POST_POLICY) == []


def test_a_post_keeps_an_articles_markup():
    # given
    text = (
        "# Six months of sick pay\n\n"
        "Some **bold**, some *emphasis*, `code` and ~~a mistake~~.\n\n"
        "## What we learnt\n\n"
        "1. Pay on time\n2. Vote on rules\n\n"
        "- one\n- two\n\n"
        "> A quote\n\n"
        '[Our rules](https://example.org/rules "The rules"), '
        "[the blog](/blog/) and [a note](#notes).\n\n"
        "![Our team](https://example.org/team.jpg)\n\n"
        "| Month | Claims |\n|:---|---:|\n| June | 1 |\n\n"
        "```\nprint(1)\n```\n\n---\n"
    )
    # when
    html = str(render_post_markdown(text))
    # then
    assert html_problems(html, POST_POLICY) == []
    tags = {e.tag for e in elements(html)}
    assert tags == {
        "h2", "p", "strong", "em", "code", "s", "ol", "ul", "li", "blockquote", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td", "pre", "hr",
    }  # fmt: skip
    assert "<h1>" not in html
    links = {e.get("href") for e in elements(html) if e.tag == "a"}
    assert links == {"https://example.org/rules", "/blog/", "#notes"}
    assert [e.get("src") for e in elements(html) if e.tag == "img"] == [
        "https://example.org/team.jpg"
    ]


def test_a_posts_image_over_plain_http_loses_its_source():
    html = str(render_post_markdown("![x](http://example.org/x.png)"))
    assert [e.attrib for e in elements(html) if e.tag == "img"] == [{"alt": "x"}]


@hypothesis_settings(max_examples=200, deadline=None)
@given(SOUP)
def test_random_markdown_soup_never_yields_a_disallowed_tag_or_attribute(soup):
    html = str(render_post_markdown(soup))
    assert html_problems(html, POST_POLICY) == []
