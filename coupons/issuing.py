"""Issuing a send's coupon, once, however often the send is retried.

    1. the coupon row is read by the send's outbox key: an issued code is used again, a
       failed one fails again (no second code, ever);
    2. otherwise the row is written, `claimed`, with the code derived from the key
       (coupons/codes.py), and committed *before* the platform is called;
    3. the platform makes the code (Shopify, WooCommerce); a code that exists already is
       confirmed as this send's, so an attempt that died after the platform made it, or
       lost its answer, is finished by the next one with the same code;
    4. the row becomes `issued` (or `failed` when the platform refused for good).

A pool's code is claimed and issued in one transaction instead (coupons/pool.py).
Unique keys in storage keep one code from going to two customers: one row per send key,
one code per shop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coupons.codes import coupon_title, derive_code
from coupons.errors import PermanentCouponError
from coupons.platform import CouponPlatform, NewCode
from coupons.pool import claim_pooled
from coupons.recipients import contact_digest
from coupons.shopify import ShopifyCoupons
from coupons.sources import CouponSource, source_problem
from coupons.woocommerce import WooCommerceCoupons
from journey_schema.models import CouponOffer
from observability import metrics
from rendering.live import IssuedCoupon
from storage import coupons
from storage.coupons import CouponClaim, CouponState, StoredCoupon
from storage.shops import ShopProfile
from workflows.payloads import SendRequest

# Codes derived for one send before giving up on finding one no other send of the shop
# holds: each collision is a one-in-10^11 chance.
MAX_DERIVATIONS = 4


class CouponIssuer:
    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient | None,  # Shopify's and WooCommerce's APIs
        secret: str,  # the deployment's secret key: codes are derived under it
    ) -> None:
        self._sessions = session_factory
        self._client = client
        self._secret = secret

    async def issue(
        self,
        *,
        key: str,
        request: SendRequest,
        offer: CouponOffer,
        shop: ShopProfile | None,
        now: datetime,
    ) -> IssuedCoupon:
        """The send's code, made now or by an earlier attempt. Raises TransientCouponError
        (retry the send) or PermanentCouponError (no code for this send)."""
        async with self._sessions() as session:
            held = await coupons.coupon_of(session, key)
        if held is not None and held.state is not CouponState.CLAIMED:
            return _issued_or_raise(held)
        if held is None:
            problem = source_problem(shop, request.shop)
            if problem is not None or shop is None or not shop.coupon_source:
                raise PermanentCouponError(problem or f"shop {request.shop} makes no coupons")
            if offer.amount is not None and request.cart.currency != shop.currency:
                # Platforms take an amount off in the shop's currency: "€50 off" in the
                # message would be ₺50 off at the checkout.
                raise PermanentCouponError(
                    f"the offer is {offer.amount} off, in the shop's currency {shop.currency},"
                    f" but the cart is in {request.cart.currency}: use a percent offer"
                )
            source = shop.coupon_source
        else:
            source = held.source  # what the earlier attempt began with
        claim = _claim(key, request, offer, source=source, now=now, secret=self._secret)
        if source == CouponSource.POOL:
            pooled = _issued_or_raise(await claim_pooled(self._sessions, claim, at=now))
            if held is None:  # counted once: a retry finds the row held
                metrics.coupon_issue(source, "issued")
            return pooled
        stored = held or await self._claim(claim)
        if stored.state is not CouponState.CLAIMED:  # another attempt settled it meanwhile
            return _issued_or_raise(stored)
        try:
            platform = self._platform(source, shop, request.shop)
            platform_ref = await platform.create(_new_code(stored, request, offer))
        except PermanentCouponError as err:
            await self.give_up(key, str(err))
            raise
        async with self._sessions() as session:
            await coupons.mark_issued(session, key, platform_ref=platform_ref, at=now)
            await session.commit()
        metrics.coupon_issue(source, "issued")  # the one attempt that made it
        return _as_issued(stored)

    async def give_up(self, key: str, reason: str) -> None:
        """This send gets no code, for good (its later attempts fail with `reason`)."""
        async with self._sessions() as session:
            await coupons.mark_failed(session, key, reason=reason)
            await session.commit()

    async def _claim(self, claim: CouponClaim) -> StoredCoupon:
        """The row, stored with its derived code and committed before the platform call."""
        for attempt in range(MAX_DERIVATIONS):
            code = derive_code(self._secret, claim.key, attempt=attempt)
            async with self._sessions() as session:
                stored = await coupons.claim_coupon(session, replace(claim, code=code))
                await session.commit()
            if stored is not None:
                return stored
        raise PermanentCouponError(
            f"no free code: {MAX_DERIVATIONS} derived codes are held by other sends"
        )

    def _platform(self, source: str, shop: ShopProfile | None, name: str) -> CouponPlatform:
        problem = source_problem(shop, name)
        if problem is not None or shop is None:
            raise PermanentCouponError(problem or f"shop {name} does not exist")
        if self._client is None:
            raise PermanentCouponError("this worker has no HTTP client for the shop's platform")
        make: dict[str, Callable[[httpx.AsyncClient, ShopProfile], CouponPlatform]] = {
            CouponSource.SHOPIFY: _shopify,
            CouponSource.WOOCOMMERCE: _woocommerce,
        }
        if source not in make:
            raise PermanentCouponError(f"shop {name}: coupon source {source!r} makes no codes")
        return make[source](self._client, shop)


def _shopify(client: httpx.AsyncClient, shop: ShopProfile) -> CouponPlatform:
    assert shop.shopify_domain and shop.shopify_admin_token
    return ShopifyCoupons(
        client=client,
        domain=shop.shopify_domain,
        admin_token=shop.shopify_admin_token,
        shop=shop.shop,
    )


def _woocommerce(client: httpx.AsyncClient, shop: ShopProfile) -> CouponPlatform:
    assert shop.woocommerce_url
    assert shop.woocommerce_consumer_key and shop.woocommerce_consumer_secret
    return WooCommerceCoupons(
        client=client,
        store_url=shop.woocommerce_url,
        consumer_key=shop.woocommerce_consumer_key,
        consumer_secret=shop.woocommerce_consumer_secret,
        shop=shop.shop,
    )


def _claim(
    key: str, request: SendRequest, offer: CouponOffer, *, source: str, now: datetime, secret: str
) -> CouponClaim:
    return CouponClaim(
        key=key,
        shop=request.shop,
        code="",  # derived (or taken from the pool) when claimed
        source=source,
        customer_id=request.cart.customer.id,
        workflow_id=request.workflow_id,
        run_id=request.run_id,
        message_id=request.message_id,
        currency=request.cart.currency,
        expires_at=now + offer.valid,
        percent=None if offer.percent is None else Decimal(offer.percent),
        amount=offer.amount,
        contact_digest=contact_digest(secret, request.cart.customer.contact),
    )


def _new_code(stored: StoredCoupon, request: SendRequest, offer: CouponOffer) -> NewCode:
    return NewCode(
        code=stored.code,
        title=coupon_title(key=stored.key, message_id=stored.message_id),
        # From when the first attempt claimed it: every attempt asks for the same code.
        starts_at=stored.expires_at - offer.valid,
        ends_at=stored.expires_at,
        currency=stored.currency,
        customer_id=stored.customer_id,
        email=request.cart.customer.email,
        percent=stored.percent,
        amount=stored.amount,
    )


def _issued_or_raise(stored: StoredCoupon) -> IssuedCoupon:
    if stored.state is CouponState.FAILED:
        raise PermanentCouponError(stored.failure or "an earlier attempt could not make it")
    return _as_issued(stored)


def _as_issued(stored: StoredCoupon) -> IssuedCoupon:
    return IssuedCoupon(
        code=stored.code,
        expires_at=stored.expires_at,
        percent=stored.percent,
        amount=stored.amount,
    )
