"""Custom search attributes that make each cart findable in the Temporal UI.

They must be registered on the server before a workflow uses them:
`temporal_connection.ensure_search_attributes` does it from ALL.

Search attributes are never encrypted (the server indexes them), so none carries personal
data: the customer is found by `CustomerKey`, a keyed digest of the shop and the shop's
customer id (which may be an email, or a guest's `checkout:<token>`); `cartnudge
customer-key <shop> <customer id>` prints it. `CustomerId`, which held the raw id until
issue 13, is no longer set (nor registered on a new server).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from workflows.payloads import JourneyStatus

SHOP_ID = SearchAttributeKey.for_keyword("ShopId")
CART_ID = SearchAttributeKey.for_keyword("CartId")
# customer_key(...) of the cart's customer: findable, but not readable
CUSTOMER_KEY = SearchAttributeKey.for_keyword("CustomerKey")
JOURNEY_NAME = SearchAttributeKey.for_keyword("JourneyName")
JOURNEY_VERSION = SearchAttributeKey.for_int("JourneyVersion")
# The release id (SHA-256 hex) the cart was given at abandonment: splits a rollout.
JOURNEY_RELEASE = SearchAttributeKey.for_keyword("JourneyRelease")
JOURNEY_STATUS = SearchAttributeKey.for_keyword("JourneyStatus")
# "experiment:arm" for every split the cart passed, e.g. JourneyArms = "first_wait:slow"
JOURNEY_ARMS = SearchAttributeKey.for_keyword_list("JourneyArms")
JOURNEY_HOLDOUT = SearchAttributeKey.for_bool("JourneyHoldout")  # never messaged
CART_TOTAL = SearchAttributeKey.for_float("CartTotal")

ALL = (
    SHOP_ID,
    CART_ID,
    CUSTOMER_KEY,
    JOURNEY_NAME,
    JOURNEY_VERSION,
    JOURNEY_RELEASE,
    JOURNEY_STATUS,
    CART_TOTAL,
    JOURNEY_ARMS,
    JOURNEY_HOLDOUT,
)


_CUSTOMER_KEY_DOMAIN = b"cartnudge.customer-key.v1\0"


def customer_key(secret: str, *, shop: str, customer_id: str) -> str:
    """The CustomerKey of a shop's customer: HMAC-SHA256 under CARTNUDGE_SECRET_KEY, so
    whoever reads Temporal's visibility store can not try emails against it; 32 hex."""
    message = _CUSTOMER_KEY_DOMAIN + f"{shop}\0{customer_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def initial_search_attributes(
    *, shop: str, cart_id: str, customer_key: str | None, cart_total: float
) -> TypedSearchAttributes:
    """What the API sets when it starts a cart's workflow; the workflow keeps them current."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(SHOP_ID, shop),
        SearchAttributePair(CART_ID, cart_id),
        SearchAttributePair(JOURNEY_STATUS, JourneyStatus.WATCHING.value),
        SearchAttributePair(CART_TOTAL, cart_total),
    ]
    if customer_key is not None:
        pairs.insert(2, SearchAttributePair(CUSTOMER_KEY, customer_key))
    return TypedSearchAttributes(pairs)
