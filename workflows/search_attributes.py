"""Custom search attributes that make each cart findable in the Temporal UI.

They must be registered on the server before a workflow uses them:
`temporal_connection.ensure_search_attributes` does it from ALL.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from workflows.payloads import JourneyStatus

SHOP_ID = SearchAttributeKey.for_keyword("ShopId")
CART_ID = SearchAttributeKey.for_keyword("CartId")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
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
    CUSTOMER_ID,
    JOURNEY_NAME,
    JOURNEY_VERSION,
    JOURNEY_RELEASE,
    JOURNEY_STATUS,
    CART_TOTAL,
    JOURNEY_ARMS,
    JOURNEY_HOLDOUT,
)


def initial_search_attributes(
    *, shop: str, cart_id: str, customer_id: str, cart_total: float
) -> TypedSearchAttributes:
    """What the API sets when it starts a cart's workflow; the workflow keeps them current."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(SHOP_ID, shop),
            SearchAttributePair(CART_ID, cart_id),
            SearchAttributePair(CUSTOMER_ID, customer_id),
            SearchAttributePair(JOURNEY_STATUS, JourneyStatus.WATCHING.value),
            SearchAttributePair(CART_TOTAL, cart_total),
        ]
    )
