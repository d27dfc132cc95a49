"""Journey reports over HTTP: what `cartnudge report` prints, for the shop of the API key."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from api.deps import AUTHENTICATED_RESPONSES, ApiKey, QueriedShop, SessionsDep, SettingsDep
from api.errors import error_response
from journey_schema.suggestions import did_you_mean
from reports.journey_report import journey_report, journeys_of
from reports.model import JourneyReport

router = APIRouter(
    prefix="/v1/reports",
    tags=["reports"],
    dependencies=[ApiKey],
    responses={
        **AUTHENTICATED_RESPONSES,
        503: error_response("The database is down; retry", retry=True),
    },
)


@router.get(
    "/journeys/{journey}",
    response_model=JourneyReport,
    responses={404: error_response("No cart of the shop entered this journey")},
)
async def get_journey_report(
    journey: Annotated[str, Path(description="The journey's name, e.g. abandoned_cart")],
    shop: QueriedShop,
    sessions: SessionsDep,
    settings: SettingsDep,
    since: Annotated[
        date | None, Query(description="Only carts abandoned on or after this day (UTC)")
    ] = None,
) -> JourneyReport:
    """The journey's carts, conversions and revenue by release, experiment arm and holdout.

    Converted means an order for the cart within the journey's attribution window after
    abandonment, the same rule for every group. Intervals are 95% and always valid: they
    stay valid however often the report is read. Money figures are in the report's
    `currency`; carts in others are counted in `other_currency_carts` and left out.
    """
    known = await journeys_of(sessions, [shop])
    if journey not in known:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND,
            detail=f"no cart of shop {shop!r} entered journey {journey!r}"
            f"{did_you_mean(journey, known)}",
        )
    start = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
    return await journey_report(
        sessions, journey=journey, shops=[shop], since=start, settings=settings
    )
