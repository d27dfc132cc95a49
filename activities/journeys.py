"""Journey activities: which journey a cart of a shop gets, and its release at abandonment."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from journey_schema.errors import JourneyNotFound
from journey_schema.models import PinnedRelease
from journey_schema.release import Release
from releases.source import ReleaseSource
from workflows import names
from workflows.payloads import JourneyLookup, JourneyTrigger


class JourneyActivities:
    def __init__(self, releases: ReleaseSource) -> None:
        self._releases = releases

    @activity.defn(name=names.JOURNEY_TRIGGER)
    async def journey_trigger(self, lookup: JourneyLookup) -> JourneyTrigger:
        """The journey and inactivity window of the release the cart would get now."""
        release = await self._live_release(lookup)
        return JourneyTrigger(
            journey=release.journey, inactivity=release.definition.trigger.inactivity
        )

    @activity.defn(name=names.CHOOSE_RELEASE)
    async def choose_release(self, lookup: JourneyLookup) -> PinnedRelease:
        """The cart's release, for good: the same cart gets the same share of a split."""
        release = await self._live_release(lookup)
        activity.logger.info(
            "cart %s of shop %s gets %s v%s (release %s)",
            lookup.cart_id,
            lookup.shop,
            release.journey,
            release.version,
            release.short_id,
        )
        return PinnedRelease(release_id=release.id, definition=release.definition)

    async def _live_release(self, lookup: JourneyLookup) -> Release:
        """The release live for the cart; nothing activated fails for good (not retried:
        waiting would hold the cart, and its history would grow, until someone activates)."""
        try:
            return await self._releases.choose(lookup.shop, lookup.cart_id)
        except JourneyNotFound as nothing_live:
            activity.logger.warning("cart %s: %s", lookup.cart_id, nothing_live)
            raise ApplicationError(
                str(nothing_live), type=names.NOT_LIVE_ERROR, non_retryable=True
            ) from None
