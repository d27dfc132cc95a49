"""The customer's consent, stated on its own rather than with a cart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict

from api.deps import (
    AUTHENTICATED_RESPONSES,
    IDEMPOTENT_ROUTE,
    ApiKey,
    QueriedShop,
    SessionsDep,
)
from api.errors import error_response
from contract.carts import Consent
from contract.fields import Identifier
from intake.consent import take_consent

router = APIRouter(
    prefix="/v1/customers",
    tags=["customers"],
    dependencies=[ApiKey],
    responses={
        **AUTHENTICATED_RESPONSES,
        503: error_response("The database is down; retry", retry=True),
    },
)

CustomerId = Annotated[Identifier, Path(description="The shop's id for the customer")]


class ConsentStatement(BaseModel):
    """The customer's consent per channel as of `updated_at`; a channel left out is a no."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "consent": {"email": True, "sms": False, "push": False},
                    "updated_at": "2026-11-22T10:00:00Z",
                }
            ]
        },
    )

    consent: Consent
    updated_at: AwareDatetime


@router.put("/{customer_id}/consent", status_code=status.HTTP_204_NO_CONTENT, **IDEMPOTENT_ROUTE)
async def put_consent(
    customer_id: CustomerId,
    statement: ConsentStatement,
    shop: QueriedShop,
    sessions: SessionsDep,
) -> Response:
    """Record the customer's consent; the newest statement (by `updated_at`) wins.

    Messages not yet sent follow it: a withdrawal stops them, whichever cart they are for.
    """
    await take_consent(
        shop=shop,
        customer_id=customer_id,
        consent=statement.consent,
        updated_at=statement.updated_at,
        sessions=sessions,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
