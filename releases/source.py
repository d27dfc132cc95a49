"""Where the worker's journey activities get releases from."""

from __future__ import annotations

from typing import Protocol

from journey_schema.errors import JourneyNotFound
from journey_schema.release import Release


class ReleaseSource(Protocol):
    async def release(self, release_id: str) -> Release:
        """The release with this id; JourneyNotFound if there is none."""

    async def choose(self, shop: str, cart_id: str) -> Release:
        """The release a cart of this shop gets now; JourneyNotFound if none is live."""


class FixedRelease:
    """Every cart gets one release: the simulator's and preview's source."""

    def __init__(self, release: Release) -> None:
        self._release = release

    async def release(self, release_id: str) -> Release:
        if release_id != self._release.id:
            raise JourneyNotFound(f"no release {release_id[:12]} here")
        return self._release

    async def choose(self, shop: str, cart_id: str) -> Release:
        return self._release
