"""Can every shop a release serves make the codes its offers need? Checked before a
release with `coupon:` steps goes live, shop by shop, each problem with its command.

The shops a journey serves: the one shop of a shop's activation; otherwise those its
`journey.yaml` lists (`shops:`), and, for the default journey, every shop no other journey
lists. A pool with no free code counts as no way to make codes.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from coupons.pool import empty_pool
from coupons.sources import CouponSource, source_problem
from journey_schema.release import Release
from journey_schema.walk import send_steps
from storage import coupons, releases, shops


async def offer_problems(
    session: AsyncSession,
    release: Release,
    *,
    shop: str | None,
    default_journey: str | None,
) -> list[str]:
    """Why the shops the release would serve can not get its coupons; [] if they can."""
    offers = [path for path, step in send_steps(release.definition.steps) if step.send.coupon]
    if not offers:
        return []
    problems = []
    for name in await _served(session, release.journey, shop, default_journey):
        profile = await shops.shop_summary(session, name)
        problem = source_problem(profile, name)
        if problem is None and profile is not None and profile.coupon_source == CouponSource.POOL:
            free, _ = await coupons.pool_counts(session, shop=name)
            problem = empty_pool(name) if free == 0 else None
        if problem is not None:
            problems.append(f"{', '.join(offers)}: the step offers a coupon, but {problem}")
    return problems


async def _served(
    session: AsyncSession, journey: str, shop: str | None, default_journey: str | None
) -> list[str]:
    if shop is not None:
        return [shop]
    routed = await releases.journey_shops(session)
    served = sorted(name for name, serving in routed.items() if serving == journey)
    if journey == default_journey:
        served += [
            profile.shop
            for profile in await shops.list_shops(session)
            if profile.shop not in routed
        ]
    return served
