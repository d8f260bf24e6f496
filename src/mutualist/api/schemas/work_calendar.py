"""The caller's private calendar feed. Only ``CalendarFeedCreatedOut`` ever
carries the feed's address, once."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from mutualist.work.models import CalendarFeed

# --- Output -----------------------------------------------------------------------


class CalendarFeedOut(Schema):
    exists: bool = Field(description="Whether you have a feed address that works")
    created_at: datetime | None = Field(description="When the current address was made")
    last_used_at: datetime | None = Field(
        description="When a calendar app last read the feed, to the hour"
    )

    @classmethod
    def feed_fields(cls, feed: CalendarFeed | None) -> dict[str, object]:
        return {
            "exists": feed is not None,
            "created_at": feed.created_at if feed else None,
            "last_used_at": feed.last_used_at if feed else None,
        }

    @classmethod
    def build(cls, feed: CalendarFeed | None) -> CalendarFeedOut:
        return cls.model_validate(cls.feed_fields(feed))


class CalendarFeedCreatedOut(CalendarFeedOut):
    url: str = Field(
        description="The feed's secret address (iCalendar). Shown this once; store it now.",
        examples=[
            "https://mutualist.example/calendar/3q2-7wEJ1xD0bVQd6cL0pXyZ8u9aK4mN5oP6rS7tU8w.ics"
        ],
    )
    webcal_url: str = Field(description="The same address as a webcal: link, for calendar apps")
    rotated: bool = Field(description="Whether an earlier address was replaced (it stops working)")

    @classmethod
    def build_issued(
        cls, feed: CalendarFeed, *, url: str, webcal_url: str, rotated: bool
    ) -> CalendarFeedCreatedOut:
        return cls.model_validate(
            {**cls.feed_fields(feed), "url": url, "webcal_url": webcal_url, "rotated": rotated}
        )
