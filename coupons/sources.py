"""Where a shop's codes come from (its `coupon_source`), and what it lacks to make them.

Asked before a release with offers goes live (releases/activation.py) and by the send,
in the same words: each problem names the shop and the command that fixes it.
"""

from __future__ import annotations

from enum import StrEnum

from storage.shops import INTEGRATION_NEEDS, ShopProfile, ShopSummary


class CouponSource(StrEnum):
    SHOPIFY = "shopify"  # Admin GraphQL discountCodeBasicCreate
    WOOCOMMERCE = "woocommerce"  # REST coupons
    POOL = "pool"  # codes the shop uploaded


def _configure(shop: str) -> str:
    return (
        f"cartnudge shops update {shop} --coupon-source pool (then cartnudge coupons import "
        f"{shop} codes.csv), or --coupon-source shopify with --shopify-admin-token, or "
        "--coupon-source woocommerce with --woocommerce-url, --woocommerce-consumer-key and "
        "--woocommerce-consumer-secret"
    )


def _holds(profile: ShopProfile | ShopSummary, field: str) -> bool:
    """Whether the shop has a value for the field; a summary says so without decrypting."""
    if isinstance(profile, ShopSummary) and field in profile.secrets:
        return True
    return bool(getattr(profile, field, None))


def source_problem(profile: ShopProfile | ShopSummary | None, shop: str) -> str | None:
    """Why the shop can not make coupon codes, with the command to fix it; None if it can
    (a pool's free codes are counted elsewhere: they need the database). Activation asks
    with the shop's summary (no secret decrypted), the send with its profile."""
    if profile is None:
        return f"shop {shop} does not exist (cartnudge shops create {shop} ...)"
    source = profile.coupon_source
    if not source:
        return f"shop {shop} has no coupon source configured: {_configure(shop)}"
    if source not in set(CouponSource):
        return f"shop {shop} has coupon source {source!r}, which is none of shopify, " + (
            f"woocommerce, pool: {_configure(shop)}"
        )
    missing = [
        "--" + field.replace("_", "-")
        for field in INTEGRATION_NEEDS[("coupon_source", source)]
        if not _holds(profile, field)
    ]
    if missing:
        return (
            f"shop {shop} makes coupons with {source} but has no {', '.join(missing)}: "
            f"cartnudge shops update {shop} " + " ".join(f"{flag} ..." for flag in missing)
        )
    return None
