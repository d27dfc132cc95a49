"""Journey activities: which journey a cart of a shop gets, and its release at abandonment."""

from __future__ import annotations

from temporalio import activity

from journey_schema.models import PinnedRelease
from releases.source import ReleaseSource
from workflows import names
from workflows.payloads import JourneyLookup, JourneyTrigger


class JourneyActivities:
    def __init__(self, releases: ReleaseSource) -> None:
        self._releases = releases

    @activity.defn(name=names.JOURNEY_TRIGGER)
    async def journey_trigger(self, lookup: JourneyLookup) -> JourneyTrigger:
        """The journey and inactivity window of the release the cart would get now."""
        release = await self._releases.choose(lookup.shop, lookup.cart_id)
        return JourneyTrigger(
            journey=release.journey, inactivity=release.definition.trigger.inactivity
        )

    @activity.defn(name=names.CHOOSE_RELEASE)
    async def choose_release(self, lookup: JourneyLookup) -> PinnedRelease:
        """The cart's release, for good: the same cart gets the same share of a split."""
        release = await self._releases.choose(lookup.shop, lookup.cart_id)
        activity.logger.info(
            "cart %s of shop %s gets %s v%s (release %s)",
            lookup.cart_id,
            lookup.shop,
            release.journey,
            release.version,
            release.short_id,
        )
        return PinnedRelease(release_id=release.id, definition=release.definition)
