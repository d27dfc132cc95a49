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
