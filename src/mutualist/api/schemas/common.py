"""Shapes shared by every domain: problems, money, references to people and collectives."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict

from mutualist.core.reference import from_minor_units
from mutualist.members.models import User

# Every status an operation may answer with a problem document (documented in OpenAPI).
PROBLEM_STATUSES = frozenset({400, 401, 403, 404, 405, 409, 413, 422, 500})


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# --- Output -----------------------------------------------------------------------


class ProblemFieldErrorOut(Schema):
    field: str = Field(description="Dotted path of the input at fault, e.g. windows.0.start")
    message: str
    code: str


class ProblemOut(Schema):
    """An RFC 9457 problem document (served as application/problem+json)."""

    type: str = Field(
        description="Always about:blank: `code` says what the problem is", examples=["about:blank"]
    )
    title: str = Field(description="The HTTP status phrase", examples=["Unprocessable Entity"])
    status: int
    detail: str
    code: str = Field(description="Stable, machine-readable; branch on this.")
    instance: str | None = None
    errors: list[ProblemFieldErrorOut] | None = None


class MoneyOut(Schema):
    amount: str = Field(description="A decimal string, never a float", examples=["12.50"])
    currency: str = Field(description="ISO 4217 code", examples=["USD"])

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> MoneyOut:
        return cls(amount=str(from_minor_units(minor, currency)), currency=currency)


class PersonOut(Schema):
    """Someone as other members see them: never an email address."""

    handle: str
    display_name: str

    @classmethod
    def from_user(cls, user: User) -> PersonOut:
        return cls(handle=user.profile.handle, display_name=user.profile.display_name)


class CollectiveRefOut(Schema):
    slug: str
    name: str


# --- Input ------------------------------------------------------------------------


class MoneyIn(InputSchema):
    amount: str = Field(description="A decimal string such as 12.50", examples=["12.50"])
    currency: str = Field(description="ISO 4217 code", examples=["USD"])
