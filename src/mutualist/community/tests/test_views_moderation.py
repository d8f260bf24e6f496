"""The moderation queue: who sees which comments (with the email address),
approving, marking as spam, trashing, holding again and correcting one, with
htmx or without; and outsiders, who find nothing to moderate."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from mutualist.community.models import Comment
from mutualist.community.tests.test_views_support import (
    HTMX_CONFIG,
    a_post,
    approved_comment,
    held_comment,
    page_of,
    post_url,
    shows,
)
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db

QUEUE = "/blog/moderation/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def moderate_url(comment: Comment) -> str:
    return reverse("community:comment_moderate", kwargs={"comment_id": comment.pk})


def edit_url(comment: Comment) -> str:
    return reverse("community:comment_edit", kwargs={"comment_id": comment.pk})


def rows(comment: Comment) -> dict[str, Any]:
    comment.refresh_from_db()
    return {
        "status": comment.status,
        "name": comment.name,
        "body": comment.body,
        "website": comment.website,
        "moderated_by": comment.moderated_by_id,
        "edited_at": comment.edited_at,
    }


# --- The queue -----------------------------------------------------------------------


def test_the_author_sees_held_comments_with_the_commenters_email(cast: Cast, client_for):
    # given: a comment held on Ana's post, in reply to an approved one
    post = a_post(cast.ana)
    rosa = approved_comment(post, moderator=cast.ana)
    held = held_comment(post, parent_id=rosa.pk, website="https://sam.example.net")

    # when
    response = client_for(cast.ana).get(QUEUE)

    # then: the pending tab, with counts, and everything a moderator needs
    page = page_of(response)
    assert response.status_code == 200
    assert '<a href="/blog/moderation/?status=pending" aria-current="page">Pending' in page
    assert 'Pending <span class="blog-count">1</span>' in page
    assert 'Approved <span class="blog-count">1</span>' in page
    assert f'id="queue-{held.pk}"' in page
    assert '<a href="mailto:sam.newcomer@example.net">sam.newcomer@example.net</a>' in page
    assert '<a href="https://sam.example.net" rel="nofollow ugc noopener noreferrer">' in page
    assert held.body in page
    assert f'On <a href="{post_url(post)}">Covering Sydney’s mornings from Manila</a>' in page
    assert f'in reply to <a href="{post_url(post)}#comment-{rosa.pk}">Rosa Visitor</a>' in page
    for label in ("Approve", "Spam", "Trash", "Edit"):
        assert f">{label}<span" in page
    # the approved comment is on its own tab
    assert f'id="queue-{rosa.pk}"' not in page
    approved = page_of(client_for(cast.ana).get(QUEUE, {"status": "approved"}))
    assert f'id="queue-{rosa.pk}"' in approved
    assert ">Unapprove<span" in approved


def test_an_address_that_carries_mail_headers_writes_to_that_address_alone(cast: Cast, client_for):
    # given: a held comment from an address that is valid mail syntax, with a
    # query in its quoted local part (written before the service refused
    # quoted local parts, or by hand)
    post = a_post(cast.ana)
    held = held_comment(post)
    trap = '"?cc=a@evil.example&body=hi"@example.com'
    Comment.objects.filter(pk=held.pk).update(email=trap)

    # when
    page = page_of(client_for(cast.ana).get(QUEUE))

    # then: the link's address is encoded, so a mail program adds no copy
    # and no text; the address is shown as it is
    assert (
        '<a href="mailto:%22%3Fcc%3Da@evil.example%26body%3Dhi%22@example.com">'
        "&quot;?cc=a@evil.example&amp;body=hi&quot;@example.com</a>"
    ) in page
    assert 'mailto:"' not in page
    assert not re.search(r'href="mailto:[^"]*[?&=]', page)


def test_the_comment_in_the_queue_is_out_of_htmxs_reach(cast: Cast, client_for):
    held = held_comment(a_post(cast.ana))

    page = page_of(client_for(cast.ana).get(QUEUE))
    edit = page_of(client_for(cast.ana).get(edit_url(held)))

    assert f'<div class="blog-comment-body" hx-disable>{held.body}</div>' in page
    assert f'<div class="blog-comment-body blog-preview" hx-disable>{held.body}</div>' in edit
    assert HTMX_CONFIG in page
    assert HTMX_CONFIG in edit


def test_a_collectives_coordinator_moderates_posts_written_for_it(cast: Cast, client_for):
    # given: Ben writes for collective A, which Ana coordinates
    held = held_comment(a_post(cast.ben, collective=cast.collective_a))

    # then: Ana and Ben see the comment; Carla (collective B) does not
    assert f'id="queue-{held.pk}"' in page_of(client_for(cast.ana).get(QUEUE))
    assert f'id="queue-{held.pk}"' in page_of(client_for(cast.ben).get(QUEUE))
    assert f'id="queue-{held.pk}"' not in page_of(client_for(cast.carla).get(QUEUE))


def test_an_outsiders_queue_is_empty_and_shows_no_one_elses_comments(cast: Cast, client_for):
    held = held_comment(a_post(cast.ana))

    response = client_for(cast.olga).get(QUEUE)

    page = page_of(response)
    assert response.status_code == 200
    assert "No pending comments." in page
    assert held.email not in page
    assert held.body not in page
    assert 'Pending <span class="blog-count">0</span>' in page


def test_a_member_who_is_neither_author_nor_coordinator_sees_nothing_of_a_collectives_post(
    cast: Cast, client_for
):
    # given: Ana's post for A; Ben is a member of A, not a coordinator
    held = held_comment(a_post(cast.ana, collective=cast.collective_a))

    page = page_of(client_for(cast.ben).get(QUEUE))

    assert held.email not in page


def test_the_queue_needs_an_account(client, db):
    response = client.get(QUEUE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def test_an_unknown_status_shows_the_pending_tab(cast: Cast, client_for):
    held = held_comment(a_post(cast.ana))

    page = page_of(client_for(cast.ana).get(QUEUE, {"status": "everything"}))

    assert f'id="queue-{held.pk}"' in page


# --- Acting on a comment -------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "notice"),
    [
        ("approve", "approved", "Approved: it is shown on the post."),
        ("spam", "spam", "Marked as spam."),
        ("trash", "trash", "Moved to the trash."),
    ],
)
def test_the_author_acts_on_a_held_comment_and_returns_to_the_queue(
    cast: Cast, client_for, action, status, notice
):
    held = held_comment(a_post(cast.ana))
    ana = client_for(cast.ana)

    response = ana.post(moderate_url(held), {"action": action})

    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?status=pending"
    assert rows(held)["status"] == status
    assert rows(held)["moderated_by"] == cast.ana.pk
    assert shows(ana.get(response["Location"]), f"Sam Newcomer’s comment: {notice}")


def test_unapproving_hides_a_comment_again(cast: Cast, client, client_for):
    post = a_post(cast.ana)
    comment = approved_comment(post, moderator=cast.ana)

    response = client_for(cast.ana).post(moderate_url(comment), {"action": "unapprove"})

    assert response["Location"] == f"{QUEUE}?status=approved"
    assert rows(comment)["status"] == "pending"
    assert comment.body not in page_of(client.get(post_url(post)))


def test_with_htmx_the_button_swaps_the_row_for_the_row_as_it_is_now(cast: Cast, client_for):
    held = held_comment(a_post(cast.ana))

    response = client_for(cast.ana).post(moderate_url(held), {"action": "approve"}, **HTMX)

    page = page_of(response)
    assert response.status_code == 200
    assert page.lstrip().startswith(
        f'<li class="blog-queue-row blog-queue-row--approved" id="queue-{held.pk}">'
    )
    assert "Approved: it is shown on the post." in page
    assert ">Unapprove<span" in page  # the way back
    assert "<html" not in page
    assert rows(held)["status"] == "approved"


def test_an_unknown_action_is_refused_and_changes_nothing(cast: Cast, client_for):
    held = held_comment(a_post(cast.ana))
    before = rows(held)
    ana = client_for(cast.ana)

    response = ana.post(moderate_url(held), {"action": "publish"})

    assert response.status_code == 302
    assert rows(held) == before
    assert shows(ana.get(response["Location"]), "Unknown action “publish”")
    with_htmx = ana.post(moderate_url(held), {"action": ""}, **HTMX)
    assert shows(with_htmx, "Unknown action “”")
    assert rows(held) == before


@pytest.mark.parametrize("who", ["olga", "ben", "carla"])
def test_no_one_but_a_moderator_may_act_on_a_comment(cast: Cast, client_for, who):
    # given: a comment held on Ana's personal post
    held = held_comment(a_post(cast.ana))
    before = rows(held)
    other = client_for(getattr(cast, who))

    # when / then: the comment does not exist for them
    assert other.post(moderate_url(held), {"action": "approve"}).status_code == 404
    assert other.get(edit_url(held)).status_code == 404
    assert other.post(edit_url(held), {"name": "X", "body": "Y"}).status_code == 404
    assert rows(held) == before


def test_acting_needs_an_account_and_a_post(cast: Cast, client, client_for):
    held = held_comment(a_post(cast.ana))

    assert client.post(moderate_url(held), {"action": "approve"}).status_code == 302
    assert client_for(cast.ana).get(moderate_url(held)).status_code == 405
    assert rows(held)["status"] == "pending"


# --- Correcting a comment ------------------------------------------------------------


def test_the_author_corrects_a_comment_which_is_cleaned_again(cast: Cast, client_for):
    held = held_comment(a_post(cast.ana))
    ana = client_for(cast.ana)
    form = page_of(ana.get(edit_url(held)))
    assert 'value="Sam Newcomer"' in form
    assert "sam.newcomer@example.net" in form  # moderators see the address

    response = ana.post(
        edit_url(held),
        {
            "name": "Sam N.",
            "website": "https://sam.example.net",
            "body": 'Fixed <b>typo</b><script>alert(1)</script> <a href="javascript:x()">x</a>',
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?status=pending"
    after = rows(held)
    assert (after["name"], after["website"]) == ("Sam N.", "https://sam.example.net")
    assert after["body"] == 'Fixed <b>typo</b> <a rel="nofollow ugc noopener noreferrer">x</a>'
    assert after["edited_at"] is not None
    assert after["status"] == "pending"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Sam", "body": "<p></p>"}, "A comment cannot be empty: trash it instead."),
        (
            {"name": "Sam", "body": "Fine.", "website": "javascript:alert(1)"},
            "A website must be an address starting with http:// or https://.",
        ),
        ({"name": "", "body": "Fine."}, "This field is required."),
    ],
    ids=["empty", "bad website", "no name"],
)
def test_a_refused_correction_shows_why_and_changes_nothing(cast: Cast, client_for, data, message):
    held = held_comment(a_post(cast.ana))
    before = rows(held)

    response = client_for(cast.ana).post(edit_url(held), data)

    assert response.status_code == 422
    assert shows(response, message)
    assert rows(held) == before
