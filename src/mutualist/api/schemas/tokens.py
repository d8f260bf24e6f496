"""Personal API tokens. Only ``TokenCreatedOut`` ever carries the secret, once."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from mutualist.api.models import ApiToken
from mutualist.api.schemas.common import InputSchema

# --- Output -----------------------------------------------------------------------


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart")
    created_at: datetime
    last_used_at: datetime | None = Field(description="To the minute")
    revoked_at: datetime | None

    @classmethod
    def token_fields(cls, token: ApiToken) -> dict[str, object]:
        return {
            "id": token.pk,
            "name": token.name,
            "prefix": token.prefix,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
            "revoked_at": token.revoked_at,
        }

    @classmethod
    def from_model(cls, token: ApiToken) -> TokenOut:
        return cls.model_validate(cls.token_fields(token))


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown this once; store it now.")

    @classmethod
    def build(cls, token: ApiToken, *, secret: str) -> TokenCreatedOut:
        return cls.model_validate({**cls.token_fields(token), "token": secret})


# --- Input ------------------------------------------------------------------------


class TokenIn(InputSchema):
    name: str = Field(description="What the token is for", examples=["invoice script"])
