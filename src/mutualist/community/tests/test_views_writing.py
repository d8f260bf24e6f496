"""Writing: a new post, editing and deleting one's own, and the author's list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mutualist.community.models import Comment, Post, Tag
from mutualist.community.tests.test_views_support import (
    a_draft,
    a_post,
    approved_comment,
    page_of,
    post_url,
    shows,
)
from mutualist.members.models import Profile
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db

WRITE = "/blog/write/"
MINE = "/blog/mine/"


def edit_url(post: Post) -> str:
    return reverse("community:post_edit", kwargs={"slug": post.slug})


def delete_url(post: Post) -> str:
    return reverse("community:post_delete", kwargs={"slug": post.slug})


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "title": "Pitching as a team",
        "body": "## Why\n\nClients like **one** contact.",
        "excerpt": "",
        "tags": "clients, pitching",
        "collective": "",
        "status": "published",
        "published_at": "",
        "comments_open": "on",
    }
    data.update(changes)
    return data


# --- A new post ----------------------------------------------------------------------


def test_writing_needs_an_account(client, db):
    response = client.get(WRITE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def test_the_form_offers_only_the_authors_active_collectives(cast: Cast, client_for):
    page = page_of(client_for(cast.ana).get(WRITE))

    assert '<option value="" selected>Myself (a personal post)</option>' in page
    assert f'<option value="{cast.collective_a.pk}">Manila Virtual Assistants</option>' in page
    assert "Remote Crew" not in page
    assert 'type="datetime-local"' in page
    assert "Markdown:" in page


def test_a_member_publishes_a_post_for_their_collective(cast: Cast, client_for):
    # given: Ben, a member of collective A
    ben = client_for(cast.ben)

    # when
    response = ben.post(WRITE, form_data(collective=str(cast.collective_a.pk)))

    # then: published now, with its tags, and Ben is shown it
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == post_url(post)
    assert (post.author, post.collective, post.status, post.slug, post.comments_open) == (
        cast.ben,
        cast.collective_a,
        "published",
        "pitching-as-a-team",
        True,
    )
    assert post.published_at is not None
    assert sorted(t.name for t in post.tags.all()) == ["clients", "pitching"]


def test_publishing_says_so_on_the_post(cast: Cast, client_for):
    ben = client_for(cast.ben)

    response = ben.post(WRITE, form_data(), follow=True)

    assert shows(response, "Published.")
    assert shows(response, "Pitching as a team")


def test_a_draft_is_saved_for_its_author_only(cast: Cast, client, client_for):
    ana = client_for(cast.ana)

    response = ana.post(WRITE, form_data(status="draft", comments_open=""), follow=True)

    post = Post.objects.get()
    assert (post.status, post.published_at, post.comments_open) == ("draft", None, False)
    assert shows(response, "Saved as a draft: only you can see it.")
    assert shows(response, "Draft — not public.")
    assert client.get(post_url(post)).status_code == 404


def test_a_publication_date_is_read_in_the_authors_time_zone(cast: Cast, client_for):
    # given: Ana lives in Manila (UTC+8)
    ana = client_for(cast.ana)

    # when: she schedules the post for 9:00 on 1 January 2030, her time
    response = ana.post(WRITE, form_data(published_at="2030-01-01T09:00"), follow=True)

    # then: it is public from 1:00 UTC that day; till then only she sees it
    post = Post.objects.get()
    assert post.published_at == dt.datetime(2030, 1, 1, 1, 0, tzinfo=dt.UTC)
    assert shows(response, "Scheduled: it will be public from its publication date.")
    assert shows(response, "Scheduled — not public")
    # and the edit form shows it in her time again
    assert 'value="2030-01-01T09:00"' in page_of(ana.get(edit_url(post)))


@pytest.mark.parametrize(
    ("zone", "typed"),
    [
        ("Africa/Nairobi", "0001-01-01T00:00"),  # before year 1 in UTC
        ("America/New_York", "9999-12-31T23:59"),  # after 9999 in UTC
        ("UTC", "1899-12-31T23:59"),
        ("UTC", "9999-01-01T00:00"),
    ],
    ids=["year 1 east of UTC", "year 9999 west of UTC", "before 1900", "year 9999"],
)
def test_a_publication_date_outside_1900_to_9998_is_refused_on_its_field(
    cast: Cast, client_for, zone, typed
):
    # given: Ana's profile says she lives in ``zone``
    Profile.objects.filter(user=cast.ana).update(timezone=zone)

    # when: she types a date near the ends of the calendar
    response = client_for(cast.ana).post(WRITE, form_data(published_at=typed))

    # then: refused on the field (it once overflowed on its way to UTC), nothing written
    assert response.status_code == 422
    page = page_of(response)
    assert "Choose a date between the years 1900 and 9998." in page
    assert f'value="{typed}"' in page
    assert Post.objects.count() == 0


def test_the_first_and_last_years_allowed_are_accepted(cast: Cast, client_for):
    Profile.objects.filter(user=cast.ana).update(timezone="Pacific/Kiritimati")  # UTC+14
    ana = client_for(cast.ana)

    assert ana.post(WRITE, form_data(published_at="1900-01-01T00:00")).status_code == 302
    assert ana.post(WRITE, form_data(published_at="9998-12-31T23:59")).status_code == 302
    assert Post.objects.count() == 2


def test_a_member_cannot_write_for_a_collective_they_are_not_in(cast: Cast, client_for):
    # when: Olga picks collective A anyway
    response = client_for(cast.olga).post(WRITE, form_data(collective=str(cast.collective_a.pk)))

    # then: refused on the field, nothing written
    assert response.status_code == 422
    assert shows(response, "Select a valid choice.")
    assert Post.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"body": ""}, "This field is required."),
        ({"title": "x" * 201}, "A title is too long: at most 200 characters (it has 201)."),
        ({"tags": ", ".join(f"tag {n}" for n in range(11))}, "At most 10 tags per post."),
        ({"tags": "!!!"}, "The tag “!!!” needs a letter or a digit."),
        ({"status": "archived"}, "Select a valid choice."),
        ({"published_at": "next tuesday"}, "Enter a valid date/time."),
    ],
    ids=["no title", "no text", "long title", "too many tags", "bad tag", "bad status", "bad date"],
)
def test_a_refused_post_shows_why_keeps_what_was_typed_and_writes_nothing(
    cast: Cast, client_for, changes, message
):
    response = client_for(cast.ana).post(WRITE, form_data(**changes))

    assert response.status_code == 422
    assert shows(response, message)
    if "body" not in changes:
        assert shows(response, "Clients like **one** contact.")
    assert Post.objects.count() == 0
    assert Tag.objects.count() == 0


# --- Editing -------------------------------------------------------------------------


def test_the_author_edits_a_post_and_its_address_stays(cast: Cast, client_for):
    # given: Ana's published post
    post = a_post(cast.ana, tags=["time zones"])
    ana = client_for(cast.ana)
    form = page_of(ana.get(edit_url(post)))
    assert 'value="Covering Sydney’s mornings from Manila"' in form
    assert 'value="time zones"' in form

    # when: she changes the title, the text and the tags
    response = ana.post(
        edit_url(post),
        form_data(title="Sydney mornings, revisited", body="New text.", tags="clients"),
    )

    # then
    post.refresh_from_db()
    assert response["Location"] == post_url(post)
    assert (post.title, post.body, post.slug) == (
        "Sydney mornings, revisited",
        "New text.",
        "covering-sydneys-mornings-from-manila",
    )
    assert [t.name for t in post.tags.all()] == ["clients"]


def test_an_edit_refused_keeps_the_post_as_it_was(cast: Cast, client_for):
    post = a_post(cast.ana)

    response = client_for(cast.ana).post(edit_url(post), form_data(title=""))

    assert response.status_code == 422
    post.refresh_from_db()
    assert post.title == "Covering Sydney’s mornings from Manila"


@pytest.mark.parametrize("who", ["ben", "olga", "carla"])
def test_no_one_but_the_author_may_edit_a_post(cast: Cast, client_for, who):
    # given: Ana's post for collective A (Ben is a member of A)
    post = a_post(cast.ana, collective=cast.collective_a)
    other = client_for(getattr(cast, who))

    # when / then: the edit page does not exist for them, and nothing changes
    assert other.get(edit_url(post)).status_code == 404
    assert other.post(edit_url(post), form_data(title="Taken over")).status_code == 404
    post.refresh_from_db()
    assert post.title == "Covering Sydney’s mornings from Manila"


def test_editing_needs_an_account(cast: Cast, client):
    post = a_post(cast.ana)

    response = client.get(edit_url(post))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def test_a_post_keeps_a_collective_its_author_has_since_left(cast: Cast, client_for):
    # given: Ben wrote for A, then left it
    from mutualist.collectives.models import Membership

    post = a_post(cast.ben, collective=cast.collective_a)
    Membership.objects.filter(user=cast.ben, collective=cast.collective_a).update(
        state=Membership.State.LEFT, left_at=timezone.now()
    )
    ben = client_for(cast.ben)

    # when: he fixes a typo
    page = page_of(ben.get(edit_url(post)))
    response = ben.post(
        edit_url(post), form_data(collective=str(cast.collective_a.pk), body="Fixed.")
    )

    # then: the post stays A's
    assert f'<option value="{cast.collective_a.pk}" selected>' in page
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.collective, post.body) == (cast.collective_a, "Fixed.")


# --- Deleting ------------------------------------------------------------------------


def test_deleting_asks_first_then_deletes_the_post_and_its_comments(cast: Cast, client_for):
    post = a_post(cast.ana)
    approved_comment(post, moderator=cast.ana)
    ana = client_for(cast.ana)

    # when: she asks to delete
    asked = ana.post(delete_url(post))

    # then: a question, nothing deleted yet
    assert asked.status_code == 200
    assert shows(asked, "Delete “Covering Sydney’s mornings from Manila”?")
    assert shows(asked, "and its 1 comment will be deleted")
    assert Post.objects.count() == 1

    # when: she confirms
    done = ana.post(delete_url(post), {"confirm": "1"})

    # then
    assert done.status_code == 302
    assert done["Location"] == MINE
    assert Post.objects.count() == 0
    assert Comment.objects.count() == 0
    assert shows(ana.get(MINE), "“Covering Sydney’s mornings from Manila” is deleted")


@pytest.mark.parametrize("who", ["ben", "olga"])
def test_no_one_but_the_author_may_delete_a_post(cast: Cast, client_for, who):
    post = a_post(cast.ana, collective=cast.collective_a)

    response = client_for(getattr(cast, who)).post(delete_url(post), {"confirm": "1"})

    assert response.status_code == 404
    assert Post.objects.count() == 1


def test_deleting_takes_only_a_post(cast: Cast, client_for):
    post = a_post(cast.ana)

    assert client_for(cast.ana).get(delete_url(post)).status_code == 405
    assert Post.objects.count() == 1


# --- The author's list ---------------------------------------------------------------


def test_my_posts_lists_the_authors_posts_with_their_status(cast: Cast, client_for):
    a_post(cast.ana, title="Out now")
    a_draft(cast.ana, title="Not yet")
    a_post(cast.ana, title="Next week", published_at=timezone.now() + dt.timedelta(days=7))
    a_post(cast.ben, title="Ben's own")

    page = page_of(client_for(cast.ana).get(MINE))

    assert "Out now" in page
    assert "Not yet" in page
    assert "Next week" in page
    assert "Ben&#x27;s own" not in page
    assert '<span class="blog-status blog-status--draft">Draft</span>' in page
    assert '<span class="blog-status blog-status--scheduled">Scheduled</span>' in page
    assert '<span class="blog-status blog-status--published">Published</span>' in page
    assert page.index("Not yet") < page.index("Out now")  # drafts first


def test_my_posts_is_empty_for_someone_who_has_written_nothing(cast: Cast, client_for):
    a_post(cast.ana)

    page = page_of(client_for(cast.olga).get(MINE))

    assert "You have not written a post yet." in page
    assert "Covering Sydney" not in page
