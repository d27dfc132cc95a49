"""Activations: what new carts of a journey get, and going back to what they got before.

An activation is one release or a weighted split of releases, deployment-wide or for one
shop. Every change adds a row (storage/activations.py), so the rows are the audit trail:
who made which release live, when. Nothing becomes live without an activation, and a
release this deployment can not send (releases/deployment.py), or whose coupons a shop
it would serve can not make (releases/offers.py), can not be activated.

Rollback returns to the activation that was live before the current one; rolling back a
rollback goes one further back, so repeated rollbacks walk back through the history.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from journey_schema.providers import Capabilities
from journey_schema.release import from_content
from releases.assignment import BUCKETS
from releases.deployment import deployment_problems
from releases.offers import offer_problems
from releases.split import Split, describe, from_rows, to_rows, whole, with_share
from storage import activations, releases
from storage.activations import StoredActivation


class ActivationRefused(Exception):
    """A mistake the marketer or operator can fix; the message says how."""


def share_to_weight(share: str) -> int:
    """'10' or '2.5' (percent of new carts) -> basis points."""
    try:
        percent = Decimal(share)
    except InvalidOperation:
        raise ActivationRefused(
            f"--share {share}: write the percentage of new carts as a number, e.g. 10 or 2.5"
        ) from None
    weight = percent * BUCKETS / 100 if percent.is_finite() else Decimal(-1)
    if not 0 < weight <= BUCKETS or weight != int(weight):
        raise ActivationRefused(
            f"--share {share}: give a percentage above 0 and at most 100, "
            "in steps of 0.01 (e.g. 10 or 2.5)"
        )
    return int(weight)


async def activate(
    session: AsyncSession,
    *,
    journey: str,
    version: int,
    weight: int = BUCKETS,
    shop: str | None,
    by: str,
    capabilities: Capabilities,
    default_journey: str | None = None,
) -> StoredActivation:
    """Make `version` of `journey` live for `weight` of new carts; the caller commits.

    For one shop, the journey must be the one that serves it: `default_journey`, unless
    the shop is listed by another journey's `shops:`, or the journey listing it.
    """
    await activations.lock_journey(session, journey, shop)
    if shop is not None:
        await _check_serves(session, journey, shop, default_journey)
    stored = await releases.release_of_version(session, journey, version)
    if stored is None:
        raise ActivationRefused(await _not_published(session, journey, version))
    release = from_content(stored.content)
    problems = deployment_problems(release, capabilities)
    problems += await offer_problems(session, release, shop=shop, default_journey=default_journey)
    if problems:
        raise ActivationRefused(
            f"{journey} v{version} can not go live on this deployment:\n  " + "\n  ".join(problems)
        )
    current = await activations.live_activation(session, journey, shop)
    before: Split = from_rows(current.split) if current else ()
    split = with_share(before, stored.id, version, weight) if before else whole(stored.id, version)
    if split == before:
        raise ActivationRefused(f"{scope_name(journey, shop)} is live as {describe(split)} already")
    return await activations.add_activation(
        session,
        journey=journey,
        shop=shop,
        split=to_rows(split),
        action="activate",
        replaces_id=current.id if current else None,
        restores_id=None,
        activated_by=by,
    )


async def rollback(
    session: AsyncSession,
    *,
    journey: str,
    shop: str | None,
    by: str,
    capabilities: Capabilities,
    default_journey: str | None = None,
) -> StoredActivation:
    """Bring back the activation live before the current one; the caller commits.

    A shop's first activation rolls back to no activation of its own: the shop follows the
    deployment-wide one again.
    """
    await activations.lock_journey(session, journey, shop)
    scope = scope_name(journey, shop)
    current = await activations.live_activation(session, journey, shop)
    if current is None:
        raise ActivationRefused(f"{scope} has never been activated: nothing to roll back")
    base = current
    while base.restores_id is not None:  # a rollback stands for the row it brought back
        restored = await activations.activation_by_id(session, base.restores_id)
        assert restored is not None  # rows are never deleted
        base = restored
    if base.replaces_id is None and shop is not None and base.split:
        return await activations.add_activation(
            session,
            journey=journey,
            shop=shop,
            split=[],
            action="rollback",
            replaces_id=current.id,
            restores_id=None,
            activated_by=by,
        )
    if base.replaces_id is None:
        raise ActivationRefused(
            f"{scope} has had one activation only ({describe(from_rows(base.split))}, "
            f"since {base.activated_at:%Y-%m-%d %H:%M} UTC): there is nothing before it"
        )
    target = await activations.activation_by_id(session, base.replaces_id)
    assert target is not None  # rows are never deleted
    for share in from_rows(target.split):
        stored = await releases.release_by_id(session, share.release_id)
        assert stored is not None
        release = from_content(stored.content)
        problems = deployment_problems(release, capabilities)
        problems += await offer_problems(
            session, release, shop=shop, default_journey=default_journey
        )
        if problems:
            raise ActivationRefused(
                f"can not roll {scope} back to {describe(from_rows(target.split))}: v"
                f"{share.version} can not go live on this deployment:\n  " + "\n  ".join(problems)
            )
    return await activations.add_activation(
        session,
        journey=journey,
        shop=shop,
        split=target.split,
        action="rollback",
        replaces_id=current.id,
        restores_id=target.id,
        activated_by=by,
    )


async def _check_serves(
    session: AsyncSession, journey: str, shop: str, default_journey: str | None
) -> None:
    routed = (await releases.journey_shops(session)).get(shop)
    serving = routed or default_journey
    if journey != serving:
        who = (
            f"journey {routed!r} (its journey.yaml lists the shop)"
            if routed
            else f"the default journey {default_journey!r}"
        )
        raise ActivationRefused(
            f"shop {shop} is served by {who}, not {journey}: an activation of {journey} for "
            f"it would never be used (list the shop under {journey}'s shops: and publish)"
        )


def scope_name(journey: str, shop: str | None) -> str:
    """'abandoned_cart', or 'abandoned_cart for shop pilot': what an activation is of."""
    return f"{journey} for shop {shop}" if shop else journey


async def _not_published(session: AsyncSession, journey: str, version: int) -> str:
    published = [row.version for row in await releases.releases_of(session, journey)]
    if not published:
        return (
            f"{journey} has no published version: run `cartnudge journeys publish {journey}` first"
        )
    known = ", ".join(f"v{number}" for number in published)
    return (
        f"{journey} v{version} is not published (published: {known}); publish it with "
        f"`cartnudge journeys publish {journey} {version}`"
    )
