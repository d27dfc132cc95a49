"""Journey activities: which journey serves a shop, and the pinned version for a cart."""

from __future__ import annotations

from temporalio import activity

from journey_schema.catalog import JourneyCatalog
from journey_schema.models import PinnedJourney
from workflows import names
from workflows.payloads import JourneyLookup, JourneyTrigger


class JourneyActivities:
    def __init__(self, catalog: JourneyCatalog) -> None:
        self._catalog = catalog

    @activity.defn(name=names.JOURNEY_TRIGGER)
    async def journey_trigger(self, lookup: JourneyLookup) -> JourneyTrigger:
        """The shop's journey and its inactivity window (files re-read when they change)."""
        self._catalog.reload_if_changed()
        return self._catalog.trigger_for(lookup.shop)

    @activity.defn(name=names.PIN_JOURNEY)
    async def pin_journey(self, lookup: JourneyLookup) -> PinnedJourney:
        """The active version with its templates, frozen for this cart from now on."""
        self._catalog.reload_if_changed()
        pinned = self._catalog.pin(lookup.shop)
        activity.logger.info(
            "pinned %s v%s for shop %s",
            pinned.definition.journey,
            pinned.definition.version,
            lookup.shop,
        )
        return pinned
