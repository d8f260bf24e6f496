"""The demo's blog: four posts by demo members, three of them for their
collectives, with comments from visitors and members, a threaded reply, and
one comment still held for moderation.

Made through the blog's services, as a member's and a visitor's clicks make
them: ``post_create`` for the posts; ``comment_submit`` for the comments
(a member signed in skips the sum; a visitor is asked one and answers it,
worked out from the question as a person would); ``comment_moderate`` for
the post's author approving the comments held because their writer had no
approved comment yet. The loader travels back in time (``time_machine``) to
each moment, in order, so the dates read right: posts published days before
the demo is loaded, comments hours after them.

Not inside the demo's transaction: ``comment_submit`` spends a visitor's
question in a transaction of its own (so a wrong answer stays spent), which
cannot nest in another. Each post and comment is looked up before it is
made (a post by its slug, a comment by post, email and text), so a second
run creates nothing, and a run cut short finishes on the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone
from django.utils.text import slugify

from mutualist.collectives.models import Collective
from mutualist.community.models import Comment, Post
from mutualist.community.services.challenges import challenge_issue
from mutualist.community.services.comments import (
    clean_comment_body,
    comment_moderate,
    comment_submit,
)
from mutualist.community.services.posts import post_create
from mutualist.demo.world import PEOPLE
from mutualist.members.models import User

__all__ = [
    "POSTS",
    "CommunityLoaded",
    "DemoComment",
    "DemoPost",
    "community_is_loaded",
    "community_load",
]


@dataclass(frozen=True)
class DemoComment:
    """A comment ``hours`` after its post was published. ``login``: a demo
    member, signed in; otherwise a visitor with ``name`` and ``email``."""

    hours: float
    body: str
    login: str = ""
    name: str = ""
    email: str = ""
    website: str = ""
    # The index (in its post's ``comments``) of the comment it answers.
    reply_to: int | None = None
    # Left for the post's author to moderate (a visitor's first comment).
    held: bool = False


@dataclass(frozen=True)
class DemoPost:
    author: str  # login
    title: str
    body: str  # Markdown
    excerpt: str
    tags: tuple[str, ...]
    days_ago: int  # published this many days before the demo is loaded…
    time: str  # …at this time of day where its author lives
    collective: str = ""  # written on its behalf (slug)
    comments: tuple[DemoComment, ...] = ()

    @property
    def slug(self) -> str:
        return slugify(self.title)


# Visitors' addresses: documentation ranges (RFC 5737), one per visitor.
_ADDRESSES = {
    "tom.hughes@example.com": "192.0.2.14",
    "lerato.m@example.com": "192.0.2.27",
    "nadia.k@example.org": "198.51.100.42",
    "sam.okoro@example.org": "198.51.100.77",
}
_MEMBER_ADDRESS = "203.0.113.10"

POSTS: tuple[DemoPost, ...] = (
    DemoPost(
        author="ana",
        collective="manila-va",
        title="How we cover Sydney's mornings from Manila",
        excerpt="Two hours ahead of us, and awake before we are: how six of us "
        "share an Australian agency's inbox without anyone working nights.",
        tags=("time zones", "customer care", "Manila"),
        days_ago=38,
        time="19:30",
        body="""\
Sydney is two hours ahead of Manila (three when Australia is on summer time),
so an agency there opens its inbox at what is 6 or 7 in the morning for us.
Here is how we cover it without anyone starting at dawn every day.

## The rota

- **Early shift (06:00–10:00 Manila)**: one of us, a week at a time, clears
  the overnight email and confirms the day's meetings.
- **Day shift (10:00–18:00)**: whoever is on the engagement picks up the
  calendar, travel and client follow-ups.
- **Handover note**: five lines in the shared doc at the end of each shift,
  so nobody asks "did anyone reply to…?"

## What we learnt

1. Agree the *client's* hours in writing: "Sydney business hours" is not a
   time zone once daylight saving starts.
2. Keep the early shift to one week in four. Nobody does it for a month.
3. Price the early hours a little higher, and say so in the pitch.

We check the clocks with [timeanddate.com](https://www.timeanddate.com/worldclock/)
before every daylight-saving change. If your collective covers a time zone
far from home, we would love to hear how you split it.
""",
        comments=(
            DemoComment(
                hours=14,
                name="Tom Hughes",
                email="tom.hughes@example.com",
                website="https://tomhughes.example.com/",
                body="We run a small agency in Newcastle (NSW) and this is exactly "
                "our problem with support. Do you hand over by chat or only in the doc?",
            ),
            DemoComment(
                hours=16.5,
                login="paolo",
                reply_to=0,
                body="Both, Tom: the doc is the record, a short message in the team "
                "chat says <em>it's in the doc</em>. I do the early week once a month "
                "and it's fine when it's only one week.",
            ),
            DemoComment(
                hours=40,
                name="Lerato Mokoena",
                email="lerato.m@example.com",
                body="The handover note is such a good habit. We added a "
                "<strong>waiting on client</strong> line to ours and it halved the "
                "follow-ups.",
            ),
        ),
    ),
    DemoPost(
        author="bea",
        collective="manila-va",
        title="Our sick-pay fund: what we learnt setting it up",
        excerpt="Seven of us put 4.5 % of what we earn into a fund that pays "
        "whoever falls ill. What we voted on, and what we would do again.",
        tags=("mutual aid", "sick pay", "Manila"),
        days_ago=24,
        time="10:15",
        body="""\
When one of us cannot work, the clients still need covering and the rent
still needs paying. Employees have sick pay; freelancers usually have
savings, or nothing. So Manila Virtual Assistants voted in a sick-pay fund.

## How it works

- Each member picks a **tier**, from ₱15,000 to ₱50,000 a month of cover.
- We each put **4.5 %** of what we earn into the fund, straight from our
  share when a client pays.
- After a **30-day waiting period**, a member who cannot work is paid from
  the fund, in proportion to how much they cannot work.

## What we would tell another collective

1. Vote on the rules before anyone needs them. Nobody should be deciding
   the rules while looking at a friend's claim.
2. Keep medical details private. The group needs to know *that* someone is
   off, not *why*.
3. Members paid in other currencies need a plan for their deposits: we
   take them from the pounds or dollars when pesos run short.

The rules are in our bylaws, on [the collective's page](/collectives/manila-va/),
and changing them takes a vote like everything else. Questions welcome below.
""",
        comments=(
            DemoComment(
                hours=5,
                login="tunde",
                body="Remote Crew is talking about the same thing. Did you pick "
                "4.5 % from a calculation or by feel?",
            ),
            DemoComment(
                hours=7,
                login="bea",
                reply_to=0,
                body="A bit of both, Tunde: we ran the fund simulator on our "
                "numbers and 4.5 % kept it solvent in almost every run. Happy to "
                "show you the figures.",
            ),
            DemoComment(
                hours=30,
                name="Nadia Karim",
                email="nadia.k@example.org",
                website="https://nadiak.example.org/",
                body="<q>Vote on the rules before anyone needs them</q> should be on "
                "a poster. Thank you for writing this up.",
            ),
        ),
    ),
    DemoPost(
        author="joy",
        collective="remote-crew",
        title="Pricing a team pitch",
        excerpt="When a client wants a web developer, a copywriter and support "
        "cover in one pitch, how do we put a single price on it?",
        tags=("pricing", "pitches"),
        days_ago=11,
        time="15:00",
        body="""\
Remote Crew pitches as a team: a client who needs a Shopify developer,
someone for the copy and support cover in two time zones gets one proposal
from us, not three freelancers to manage.

## Start from each member's own rate

Every member sets their own hourly rate. The pitch adds them up for the
hours each role needs; we do not average them, and nobody is asked to
cut their rate to win the work.

## Then add what the team costs

- **Coordination**: about one hour in ten goes to handovers and check-ins.
  We put it in the price instead of working it for free.
- **The treasury share** (8 % for us) pays for tools, the accountant and
  the gaps between contracts.
- **Currency**: we invoice in US dollars and say so up front.

## Say what happens when the scope grows

A fixed price covers a fixed scope. Our pitches say how extra work is
priced *before* anyone asks, which makes that conversation a lot shorter.

If you are new to team pitches, our [pricing tag](/blog/tags/pricing/)
collects what we have written so far.
""",
        comments=(
            DemoComment(
                hours=3,
                name="Tom Hughes",
                email="tom.hughes@example.com",
                website="https://tomhughes.example.com/",
                body="As a client, the coordination line is the one I would "
                "question first. How do you explain it?",
            ),
            DemoComment(
                hours=4,
                login="joy",
                reply_to=0,
                body="We show it as its own line with the hours, Tom. Clients who "
                "have managed three freelancers themselves rarely argue with it.",
            ),
            DemoComment(
                hours=26,
                login="funmi",
                body="And for fixed-price copy we quote per deliverable, then convert: "
                "clients understand <i>three landing pages</i> better than hours.",
            ),
        ),
    ),
    DemoPost(
        author="wanjiru",
        title="A day in a virtual office in Nairobi",
        excerpt="Live chat at night, bookkeeping by day, and a shared desk in "
        "Westlands: what running a virtual office from Nairobi looks like.",
        tags=("Nairobi", "remote work"),
        days_ago=4,
        time="08:45",
        body="""\
People ask what a *virtual office* is when it has a desk in Westlands.
Here is one ordinary Tuesday.

## Morning

- 08:00: the overnight live-chat shift hands over to the day team.
- 09:00: I reconcile two NGOs' accounts before their European offices open.

## Afternoon

- Translation requests come in from Mombasa, in Swahili and Arabic.
- CRM clean-ups and lead lists for clients in the Gulf.

## Evening

- Our US clients wake up, and the evening chat shift starts.

Anyone may join Nairobi Virtual Office: admission is open, and the
[collective's page](/collectives/nairobi-vo/) says how.
""",
        comments=(
            DemoComment(
                hours=6,
                login="kevin",
                body="Tuesday is CRM day for me too. The lead lists go out before lunch!",
            ),
            DemoComment(
                hours=50,
                name="Sam Okoro",
                email="sam.okoro@example.org",
                body="I do bookkeeping from Kisumu. Is the open admission really open "
                "to anyone in Kenya, or only Nairobi and Mombasa?",
                held=True,
            ),
        ),
    ),
)


@dataclass
class CommunityLoaded:
    """What one load made."""

    posts: int = 0
    comments: int = 0
    held: int = 0


def community_is_loaded() -> bool:
    """Every demo post is there (by slug; a slug stays when a title changes)."""
    slugs = {post.slug for post in POSTS}
    return Post.objects.filter(slug__in=slugs).count() == len(slugs)


def community_load(
    *, users: Mapping[str, User], collectives: Mapping[str, Collective]
) -> CommunityLoaded:
    """Make whatever of the demo's blog is missing. Call it outside any
    transaction (a visitor's comment commits its own), with the email
    backend that sends nothing. ``users`` maps demo logins to accounts; a
    post whose people or collective are not in the demo is left out."""
    loaded = CommunityLoaded()
    now = timezone.now()
    for spec in POSTS:
        needed = {spec.author} | {c.login for c in spec.comments if c.login}
        if not needed <= users.keys() or (spec.collective and spec.collective not in collectives):
            continue
        _post_ensure(spec, users=users, collectives=collectives, now=now, loaded=loaded)
    return loaded


def _zone(login: str) -> ZoneInfo:
    person = next(p for p in PEOPLE if p.login == login)
    return ZoneInfo(person.timezone)


def _published_at(spec: DemoPost, now: dt.datetime) -> dt.datetime:
    zone = _zone(spec.author)
    day = now.astimezone(zone).date() - dt.timedelta(days=spec.days_ago)
    return dt.datetime.combine(day, dt.time.fromisoformat(spec.time), zone)


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    """Services see ``moment`` as now (never later than the real now)."""
    if moment >= timezone.now():
        yield
        return
    with time_machine.travel(moment, tick=False):
        yield


def _post_ensure(
    spec: DemoPost,
    *,
    users: Mapping[str, User],
    collectives: Mapping[str, Collective],
    now: dt.datetime,
    loaded: CommunityLoaded,
) -> None:
    author = users[spec.author]
    published = _published_at(spec, now)
    post = Post.objects.filter(slug=spec.slug).first()
    if post is None:
        with _at(published):
            post = post_create(
                author=author,
                title=spec.title,
                body=spec.body,
                excerpt=spec.excerpt,
                tags=list(spec.tags),
                collective=collectives[spec.collective] if spec.collective else None,
                status=Post.Status.PUBLISHED,
                published_at=published,
            )
        loaded.posts += 1
    elif post.author_id != author.pk:
        return  # someone else's post took the slug; leave it alone
    made: list[Comment] = []
    for comment in spec.comments:
        made.append(
            _comment_ensure(comment, post=post, users=users, made=made, at=published, loaded=loaded)
        )


def _comment_ensure(
    spec: DemoComment,
    *,
    post: Post,
    users: Mapping[str, User],
    made: list[Comment],
    at: dt.datetime,
    loaded: CommunityLoaded,
) -> Comment:
    user = users[spec.login] if spec.login else None
    email = user.email if user is not None else spec.email
    existing = Comment.objects.filter(
        post=post, email__iexact=email, body=clean_comment_body(spec.body)
    ).first()
    if existing is not None:
        return existing
    moment = at + dt.timedelta(hours=spec.hours)
    parent_id = made[spec.reply_to].pk if spec.reply_to is not None else None
    with _at(moment):
        if user is not None:
            comment = comment_submit(
                post=post,
                body=spec.body,
                address=_MEMBER_ADDRESS,
                user=user,
                parent_id=parent_id,
            )
        else:
            issued = challenge_issue()
            comment = comment_submit(
                post=post,
                body=spec.body,
                address=_ADDRESSES[spec.email],
                name=spec.name,
                email=spec.email,
                website=spec.website,
                parent_id=parent_id,
                challenge=issued.signed,
                answer=_worked_out(issued.question),
            )
    loaded.comments += 1
    if comment.status == Comment.Status.PENDING:
        if spec.held:
            loaded.held += 1
        else:
            # The post's author, catching up with the queue an hour later.
            with _at(moment + dt.timedelta(hours=1)):
                comment = comment_moderate(comment=comment, moderator=post.author, action="approve")
    return comment


def _worked_out(question: str) -> str:
    """The answer to "4 + 3 =", as a visitor works it out."""
    left, _, right = question.rstrip(" =").partition("+")
    return str(int(left) + int(right))
