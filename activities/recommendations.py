"""Recommendation activities: which shops to refresh, and one shop's lists recomputed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from recommendations.refresh import refresh_shop, shops_to_refresh
from workflows import names
from workflows.recommendation_payloads import ShopRefresh, ShopRefreshed, ShopsToRefresh


class RecommendationActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    @activity.defn(name=names.RECOMMENDATION_SHOPS)
    async def recommendation_shops(self, request: ShopsToRefresh) -> list[str]:
        """The shops with orders to learn from, or lists to clear."""
        return await shops_to_refresh(self._sessions, as_of=request.as_of)

    @activity.defn(name=names.REFRESH_RECOMMENDATIONS)
    async def refresh_recommendations(self, request: ShopRefresh) -> ShopRefreshed:
        """Recompute one shop's recommendations and replace its lists (safe to retry)."""
        refreshed = await refresh_shop(
            self._sessions, shop=request.shop, as_of=request.as_of, progress=activity.heartbeat
        )
        activity.logger.info(
            "recommendations of %s: %d orders, %d products with pairs, %d popular",
            request.shop,
            refreshed.orders,
            refreshed.products,
            refreshed.popular,
        )
        return ShopRefreshed(
            shop=request.shop,
            orders=refreshed.orders,
            products=refreshed.products,
            pairs=refreshed.pairs,
            popular=refreshed.popular,
        )
