"""Reading the blog: the index, tag pages, a post with its threaded comments,
and a comment's permalink, for a visitor, a member, the author and an outsider."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from mutualist.collectives.models import Membership
from mutualist.community.models import Post, SpentChallenge
from mutualist.community.tests.test_views_support import (
    HTMX_CONFIG,
    VISITOR_EMAIL,
    a_draft,
    a_post,
    approved_comment,
    held_comment,
    page_of,
    post_url,
    shows,
)
from mutualist.members.models import Profile
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db

INDEX = "/blog/"


def h1s(page: str) -> list[str]:
    return re.findall(r"<h1[ >]", page)


# --- The index ---------------------------------------------------------------------


def test_the_index_lists_published_posts_newest_first_with_byline_summary_tags_and_count(
    cast: Cast, client
):
    # given: two published posts, a draft and a scheduled post
    older = a_post(
        cast.ana,
        title="Older story",
        published_at=timezone.now() - dt.timedelta(days=5),
        excerpt="A summary the author wrote.",
    )
    newer = a_post(
        cast.ben,
        title="Newer story",
        collective=cast.collective_a,
        body="The start of the **text** stands in for a summary.",
        tags=["clients", "time zones"],
    )
    a_draft(cast.ana, title="Unfinished draft")
    a_post(cast.ana, title="Scheduled story", published_at=timezone.now() + dt.timedelta(days=3))
    approved_comment(newer, moderator=cast.ben)
    held_comment(newer)

    # when: a visitor opens the blog
    response = client.get(INDEX)

    # then: the published posts, newest first; the others nowhere
    page = page_of(response)
    assert response.status_code == 200
    assert page.index("Newer story") < page.index("Older story")
    assert "Unfinished draft" not in page
    assert "Scheduled story" not in page
    # the byline: Ana's public profile is linked, "for" the collective
    assert '<a href="/people/ana-reyes/" rel="author">Ana Reyes</a>' in page
    assert 'for <a href="/collectives/manila-va/">Manila Virtual Assistants</a>' in page
    # the summary: the author's, else the start of the text without markup
    assert "A summary the author wrote." in page
    assert "The start of the text stands in for a summary." in page
    # tags link to their pages; the count is of approved comments only
    assert f'href="{reverse("community:tag", kwargs={"slug": "clients"})}"' in page
    assert f'<a href="{post_url(newer)}#comments" class="blog-comment-count">1 comment</a>' in page
    assert f'<a href="{post_url(older)}#comments" class="blog-comment-count">0 comments</a>' in page
    assert h1s(page) == ["<h1>"]


def test_the_byline_names_an_author_with_an_unpublished_profile_without_linking_it(
    cast: Cast, client
):
    # given: Ben's profile is not published
    Profile.objects.filter(user=cast.ben).update(is_public=False)
    a_post(cast.ben, title="Ben writes")

    # when
    page = page_of(client.get(INDEX))

    # then: his name is the byline, with no link to a profile the public cannot see
    assert "By Ben Okafor" in page
    assert "/people/ben-okafor/" not in page


def test_the_index_announces_the_atom_feed_and_lists_the_tags_in_use(cast: Cast, client):
    a_post(cast.ana, tags=["time zones", "clients"])
    a_post(cast.ana, title="Second", tags=["clients"])
    a_draft(cast.ana, title="Draft", tags=["secret tag"])

    page = page_of(client.get(INDEX))

    assert (
        '<link rel="alternate" type="application/atom+xml" title="Mutualist blog" '
        'href="/blog/feed/">' in page
    )
    cloud = page[page.index('class="blog-tag-cloud"') :]
    assert cloud.index(">clients</a>") < cloud.index(">time zones</a>")  # most used first
    assert '<span class="muted">(2)</span>' in cloud
    assert "secret tag" not in page  # a draft's tag is not "in use"


def test_the_index_is_paginated(cast: Cast, client, settings):
    # given: three posts, two per page
    settings.COMMUNITY_POSTS_PER_PAGE = 2
    for days in (3, 2, 1):
        a_post(
            cast.ana,
            title=f"Story {days} days old",
            published_at=timezone.now() - dt.timedelta(days=days),
        )

    # when
    first = page_of(client.get(INDEX))
    second = page_of(client.get(INDEX, {"page": 2}))

    # then
    assert "Story 1 days old" in first and "Story 2 days old" in first
    assert "Story 3 days old" not in first
    assert "Page 1 of 2" in first
    assert 'href="?page=2" rel="next"' in first
    assert "Story 3 days old" in second
    assert "Story 1 days old" not in second
    # a page past the end shows the last one, not an error
    assert "Story 3 days old" in page_of(client.get(INDEX, {"page": 99}))


def test_a_tag_page_lists_only_that_tags_posts_and_announces_its_feed(cast: Cast, client):
    a_post(cast.ana, title="About clients", tags=["clients"])
    a_post(cast.ana, title="About time", tags=["time zones"])

    response = client.get(reverse("community:tag", kwargs={"slug": "clients"}))

    page = page_of(response)
    assert response.status_code == 200
    assert "<h1>Posts tagged “clients”</h1>" in page
    assert "About clients" in page
    assert "About time" not in page
    assert 'href="/blog/tags/clients/feed/">' in page
    assert '<a href="/blog/tags/clients/" aria-current="page">clients</a>' in page


def test_an_unknown_tag_is_not_found(client, db):
    assert client.get(reverse("community:tag", kwargs={"slug": "nothing"})).status_code == 404


def test_a_signed_in_member_sees_the_blogs_own_links_and_how_many_comments_wait(
    cast: Cast, client, client_for
):
    # given: a comment held on Ana's post
    held_comment(a_post(cast.ana))

    # when / then: Ana sees "Moderation 1"; a visitor sees no authoring links
    ana_page = page_of(client_for(cast.ana).get(INDEX))
    assert (
        '<a href="/blog/moderation/">Moderation <span class="blog-count">1'
        '<span class="visually-hidden"> pending</span></span></a>' in ana_page
    )
    assert 'href="/blog/write/"' in ana_page
    olga_page = page_of(client_for(cast.olga).get(INDEX))
    assert '<a href="/blog/moderation/">Moderation</a>' in olga_page
    visitor_page = page_of(client.get(INDEX))
    assert "/blog/moderation/" not in visitor_page
    assert "/blog/write/" not in visitor_page


def test_the_site_navigation_links_to_the_blog_for_everyone(cast: Cast, client, client_for):
    assert '<li><a href="/blog/">Blog</a></li>' in page_of(client.get("/"))
    assert '<li><a href="/blog/">Blog</a></li>' in page_of(client_for(cast.olga).get("/"))


# --- A post ------------------------------------------------------------------------


def test_a_post_shows_its_title_as_the_only_h1_its_byline_tags_and_sanitized_body(
    cast: Cast, client
):
    post = a_post(
        cast.ana,
        collective=cast.collective_a,
        body="# A heading\n\nText with <script>alert(1)</script> and [a link](javascript:alert(2)).",
        tags=["time zones"],
    )

    response = client.get(post_url(post))

    page = page_of(response)
    assert response.status_code == 200
    assert h1s(page) == ["<h1>"]
    assert f"<h1>{'Covering Sydney’s mornings from Manila'}</h1>" in page
    assert "<h2>A heading</h2>" in page  # the body's h1 is demoted
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page
    assert 'for <a href="/collectives/manila-va/">Manila Virtual Assistants</a>' in page
    assert '<a href="/blog/tags/time-zones/" rel="tag">time zones</a>' in page


def test_a_post_has_open_graph_tags_and_a_canonical_link(cast: Cast, client, settings):
    settings.SITE_URL = "https://mutualist.example.org"
    post = a_post(
        cast.ana,
        excerpt="How we cover Sydney “mornings” & more.",
        tags=["time zones", "clients"],
        published_at=dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC),
    )

    page = page_of(client.get(post_url(post)))

    url = f"https://mutualist.example.org{post_url(post)}"
    assert f'<link rel="canonical" href="{url}">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta property="og:title" content="Covering Sydney’s mornings from Manila">' in page
    assert f'<meta property="og:url" content="{url}">' in page
    assert (
        '<meta property="og:description" content="How we cover Sydney “mornings” &amp; more.">'
        in page
    )
    assert '<meta property="og:site_name" content="Mutualist">' in page
    assert '<meta property="article:published_time" content="2026-03-04T05:06:00+00:00">' in page
    assert (
        '<meta property="article:author" '
        'content="https://mutualist.example.org/people/ana-reyes/">' in page
    )
    assert '<meta property="article:tag" content="time zones">' in page
    assert '<meta property="article:tag" content="clients">' in page
    assert '<meta name="twitter:card" content="summary">' in page


def test_the_open_graph_description_is_the_start_of_the_text_without_an_excerpt(cast: Cast, client):
    post = a_post(cast.ana, body="**Bold** start. " + "word " * 100)

    page = page_of(client.get(post_url(post)))

    match = re.search(r'<meta property="og:description" content="([^"]*)">', page)
    assert match is not None
    assert match.group(1).startswith("Bold start. word word")
    assert match.group(1).endswith("…")
    assert len(match.group(1)) <= 200


def test_comments_are_threaded_with_permalinks_names_linked_to_websites_and_a_count(
    cast: Cast, client
):
    # given: Rosa's approved comment, Ana's reply to it, a held comment
    post = a_post(cast.ana)
    rosa = approved_comment(
        post, moderator=cast.ana, website="https://rosa.example.net", body="<b>Great</b> read."
    )
    reply = approved_comment(
        post,
        moderator=cast.ana,
        parent_id=rosa.pk,
        name="Tom Reader",
        email="tom@example.net",
        address="192.0.2.77",
        body="I agree.",
    )
    held = held_comment(post)

    # when
    page = page_of(client.get(post_url(post)))

    # then: two comments, the reply inside Rosa's thread, each with its anchor
    assert '<h2 id="comments-heading">2 comments</h2>' in page
    rosa_at = page.index(f'id="comment-{rosa.pk}"')
    replies_at = page.index('class="blog-thread blog-replies"')
    reply_at = page.index(f'id="comment-{reply.pk}"')
    assert rosa_at < replies_at < reply_at
    assert f'href="#comment-{rosa.pk}"' in page
    assert (
        '<a href="https://rosa.example.net" rel="nofollow ugc noopener noreferrer">'
        "Rosa Visitor</a>" in page
    )
    assert "<b>Great</b> read." in page
    assert f'href="?replyto={rosa.pk}#respond"' in page
    # the held comment is not shown
    assert held.body not in page
    assert f"comment-{held.pk}" not in page


def test_no_commenters_email_address_is_in_the_page_for_anyone(cast: Cast, client, client_for):
    # given: an approved and a held comment, their addresses known only to moderators
    post = a_post(cast.ana)
    approved_comment(post, moderator=cast.ana)
    held_comment(post)

    # when: a visitor, an outsider and the author open the post
    pages = [
        page_of(client.get(post_url(post))),
        page_of(client_for(cast.olga).get(post_url(post))),
        page_of(client_for(cast.ana).get(post_url(post))),
    ]

    # then: no commenter's address anywhere in the source, hidden fields included
    for page in pages:
        assert VISITOR_EMAIL not in page
        assert "sam.newcomer@example.net" not in page
        assert "ana@example.org" not in page


def test_a_visitor_is_asked_a_sum_whose_answer_is_not_in_the_page(cast: Cast, client):
    post = a_post(cast.ana)

    page = page_of(client.get(post_url(post)))

    match = re.search(r'<label for="id_answer">(\d) \+ (\d) =', page)
    assert match is not None
    answer = int(match.group(1)) + int(match.group(2))
    assert re.search(r'<input type="text" name="answer"(?![^>]*value=)[^>]*>', page)
    values = re.findall(r'value="([^"]*)"', page)
    assert str(answer) not in values
    assert SpentChallenge.objects.count() == 0  # showing the page stored nothing
    assert 'name="email"' in page
    assert "Your email address will not be published. Required fields are marked" in page
    assert (
        "You may use these HTML tags and attributes: <code>&lt;a href=&quot;&quot; "
        "title=&quot;&quot;&gt; &lt;abbr title=&quot;&quot;&gt;" in page
    )


def test_the_honeypot_is_hidden_by_a_class_out_of_the_tab_order_and_labelled_for_people(
    cast: Cast, client
):
    page = page_of(client.get(post_url(a_post(cast.ana))))

    assert '<div class="blog-trap" aria-hidden="true">' in page
    assert (
        '<input type="text" name="homepage" tabindex="-1" autocomplete="off" id="id_homepage">'
        in page
    )
    assert "Leave this field empty" in page


def test_a_signed_in_member_has_no_question_and_no_email_field_and_their_name_filled_in(
    cast: Cast, client_for
):
    post = a_post(cast.ana)

    page = page_of(client_for(cast.olga).get(post_url(post)))

    assert 'name="answer"' not in page
    assert 'name="challenge"' not in page
    assert 'name="email"' not in page
    assert 'name="name" value="Olga Petrova"' in page
    assert "olga@example.org" not in page
    assert 'name="challenge"' not in page  # no question asked


def test_reply_links_open_the_form_as_a_reply_to_that_comment(cast: Cast, client):
    post = a_post(cast.ana)
    rosa = approved_comment(post, moderator=cast.ana)

    page = page_of(client.get(post_url(post), {"replyto": rosa.pk}))

    assert '<h2 id="respond-heading">Reply to Rosa Visitor</h2>' in page
    assert f'<input type="hidden" name="parent" value="{rosa.pk}" id="id_parent">' in page
    # a comment that is not shown cannot be replied to
    held = held_comment(post)
    page = page_of(client.get(post_url(post), {"replyto": held.pk}))
    assert '<h2 id="respond-heading">Leave a comment</h2>' in page
    assert '<input type="hidden" name="parent" id="id_parent">' in page


@pytest.mark.parametrize(
    "replyto",
    ["²", "١", "-1", "+1", " ", "abc", "9" * 20, "1" * 1000],
    ids=["superscript two", "arabic-indic one", "negative", "signed", "blank", "letters",
         "beyond any id", "a thousand digits"],
)  # fmt: skip
def test_a_replyto_that_is_no_comment_id_opens_the_form_for_a_comment_on_the_post(
    cast: Cast, client, replyto
):
    # given: a post with an approved comment whose id is 1
    post = a_post(cast.ana)
    approved_comment(post, moderator=cast.ana)

    # when: ?replyto= names no comment ("²".isdigit() is True, int("²") fails)
    response = client.get(post_url(post), {"replyto": replyto})

    # then: the page, with the form for a comment on the post
    assert response.status_code == 200
    page = page_of(response)
    assert '<h2 id="respond-heading">Leave a comment</h2>' in page
    assert '<input type="hidden" name="parent" id="id_parent">' in page


def test_a_post_closed_to_comments_says_so_instead_of_the_form(cast: Cast, client):
    post = a_post(cast.ana, comments_open=False)
    approved = approved_comment(a_post(cast.ana, title="Open one"), moderator=cast.ana)
    assert approved  # comments elsewhere do not matter

    page = page_of(client.get(post_url(post)))

    assert "Comments are closed." in page
    assert '<form method="post" action="/blog/' not in page.split('id="respond"')[1]
    assert 'name="challenge"' not in page  # no question asked


@pytest.mark.parametrize("who", ["anonymous", "ben", "olga"])
def test_a_draft_is_not_found_for_anyone_but_its_author(cast: Cast, client, client_for, who):
    draft = a_draft(cast.ana)
    viewer = client if who == "anonymous" else client_for(getattr(cast, who))

    assert viewer.get(post_url(draft)).status_code == 404


def test_a_scheduled_post_is_not_found_before_its_date(cast: Cast, client):
    post = a_post(cast.ana, published_at=timezone.now() + dt.timedelta(hours=1))

    assert client.get(post_url(post)).status_code == 404


def test_the_author_previews_a_draft_with_a_banner_and_no_comment_form(cast: Cast, client_for):
    draft = a_draft(cast.ana, title="Work in progress")

    response = client_for(cast.ana).get(post_url(draft))

    page = page_of(response)
    assert response.status_code == 200
    assert "<strong>Draft — not public.</strong>" in page
    assert 'id="respond"' not in page
    assert 'property="og:' not in page
    assert '<meta name="robots" content="noindex">' in page
    assert f'href="{reverse("community:post_edit", kwargs={"slug": draft.slug})}"' in page
    assert 'name="challenge"' not in page  # no question asked


def test_the_author_previews_a_scheduled_post_with_its_date(cast: Cast, client_for):
    when = timezone.now() + dt.timedelta(days=2)
    post = a_post(cast.ana, published_at=when)

    page = page_of(client_for(cast.ana).get(post_url(post)))

    assert "<strong>Scheduled — not public</strong> until" in page
    assert 'id="respond"' not in page


def test_the_author_and_the_collectives_coordinator_see_a_link_to_moderate(cast: Cast, client_for):
    # given: Ben writes for collective A, which Ana coordinates
    post = a_post(cast.ben, collective=cast.collective_a)
    link = '<a href="/blog/moderation/">Moderate comments</a>'

    assert link in page_of(client_for(cast.ben).get(post_url(post)))
    assert link in page_of(client_for(cast.ana).get(post_url(post)))
    assert link not in page_of(client_for(cast.carla).get(post_url(post)))
    # a former coordinator does not
    Membership.objects.filter(user=cast.ana, collective=cast.collective_a).update(
        state=Membership.State.LEFT, left_at=timezone.now()
    )
    assert link not in page_of(client_for(cast.ana).get(post_url(post)))


def test_a_post_page_takes_no_post(cast: Cast, client):
    assert client.post(post_url(a_post(cast.ana))).status_code == 405


def test_the_reading_pages_and_the_feeds_answer_head_as_get(cast: Cast, client):
    # given: a published post with a tag and an approved comment
    post = a_post(cast.ana, tags=["time zones"])
    comment = approved_comment(post, moderator=cast.ana)
    permalink = reverse("community:comment", kwargs={"comment_id": comment.pk})
    spent = SpentChallenge.objects.count()

    # when / then: HEAD (link checkers, feed readers, monitors) is GET without a body
    for url, status in [
        (INDEX, 200),
        ("/blog/tags/time-zones/", 200),
        (post_url(post), 200),
        ("/blog/feed/", 200),
        ("/blog/tags/time-zones/feed/", 200),
        (permalink, 302),
    ]:
        head, get = client.head(url), client.get(url)
        assert (head.status_code, get.status_code) == (status, status), url
        assert head["Content-Type"] == get["Content-Type"], url
        assert head.content == b"", url
    # showing a post writes nothing, so HEAD on it writes nothing either
    assert SpentChallenge.objects.count() == spent


def test_a_members_own_pages_answer_head_too(cast: Cast, client_for):
    ana = client_for(cast.ana)

    for url in ("/blog/mine/", "/blog/moderation/", "/blog/write/"):
        assert ana.head(url).status_code == 200, url


def test_what_people_wrote_is_out_of_htmxs_reach(cast: Cast, client):
    # given: a post with a comment
    post = a_post(cast.ana)
    comment = approved_comment(post, moderator=cast.ana, body="Thank <em>you</em>.")

    # when
    page = page_of(client.get(post_url(post)))

    # then: htmx ignores any hx-* attribute in the post's body or a comment
    # (name, website and text), and never evaluates code from an attribute
    assert '<div class="blog-body" hx-disable><p>We split the day' in page
    article = page.split(f'<li class="blog-comment" id="comment-{comment.pk}">')[1]
    assert article.lstrip().startswith("<article hx-disable>")
    assert article.index("Thank <em>you</em>.") < article.index("</article>")
    assert HTMX_CONFIG in page


# --- A comment's permalink -----------------------------------------------------------


def test_a_comments_permalink_leads_to_its_place_on_the_post(cast: Cast, client):
    post = a_post(cast.ana)
    comment = approved_comment(post, moderator=cast.ana)

    response = client.get(reverse("community:comment", kwargs={"comment_id": comment.pk}))

    assert response.status_code == 302
    assert response["Location"] == f"{post_url(post)}#comment-{comment.pk}"


def test_a_held_comments_permalink_is_not_found(cast: Cast, client):
    held = held_comment(a_post(cast.ana))

    response = client.get(reverse("community:comment", kwargs={"comment_id": held.pk}))

    assert response.status_code == 404


def test_a_comment_on_a_post_made_a_draft_again_is_not_found(cast: Cast, client):
    post = a_post(cast.ana)
    comment = approved_comment(post, moderator=cast.ana)
    Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT)

    response = client.get(reverse("community:comment", kwargs={"comment_id": comment.pk}))

    assert response.status_code == 404
    assert not shows(response, comment.body)
