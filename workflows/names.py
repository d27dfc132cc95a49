"""The names Temporal knows cartnudge's workflow, signals, query and activities by.

Shared by the workflow, the worker's activities and the API, which signals by name and so
never imports workflow code. Renaming one strands every cart already on its way.
"""

from __future__ import annotations

CART_JOURNEY = "CartJourney"

# signals
UPDATE_CART = "update_cart"
CART_EMPTIED = "cart_emptied"
ORDER_PLACED = "order_placed"
ENGAGEMENT = "engagement"
CANCEL = "cancel"

# query
STATE = "state"

# activities
JOURNEY_TRIGGER = "journey_trigger"
CHOOSE_RELEASE = "choose_release"
SEND_MESSAGE = "send_message"
RECORD_OUTCOME = "record_outcome"
ENTER_JOURNEY = "enter_journey"  # at abandonment: recorded, held out or not, arms assigned
CHOOSE_ARM = "choose_arm"  # at a split: the cart's arm, or the experiment's winner
# a condition using what cartnudge knows of the customer (coupons sent, carts recovered)
LOOK_UP_CUSTOMER = "look_up_customer"

# The error type the journey activities fail with, for good, when nothing is activated
# for the cart's journey: the workflow ends the cart as `not_live` instead of waiting.
NOT_LIVE_ERROR = "JourneyNotLive"

# The nightly recommendations refresh (workflows/recommendations_refresh.py), run by the
# Temporal Schedule of this id.
RECOMMENDATIONS_REFRESH = "RecommendationsRefresh"
RECOMMENDATIONS_SCHEDULE = "cartnudge-recommendations"
RECOMMENDATION_SHOPS = "recommendation_shops"
REFRESH_RECOMMENDATIONS = "refresh_recommendations"
