"""Who is held out and which arm a cart gets: sticky, deterministic, no state.

The key is (shop, customer, journey, experiment) so a person gets the same arm on every
cart and every retry, or (shop, cart, ...) for `assign: cart`. The holdout uses the same
hash with the name "holdout", which no experiment can take (experiment names are checked
against it), so the two choices are independent of each other.
"""

from __future__ import annotations

from journey_schema.models import Assign, JourneyVersion, SplitSpec
from releases.assignment import BUCKETS, bucket, pick

HOLDOUT_KEY = "~holdout"  # not a valid experiment name: never collides with one


def is_held_out(journey: JourneyVersion, *, shop: str, customer_id: str) -> bool:
    """Whether the customer is in the journey's holdout (never messaged)."""
    if not journey.holdout:
        return False
    return bucket(shop, customer_id, journey.journey, HOLDOUT_KEY) < journey.holdout


def assigned_arm(
    journey: str, split: SplitSpec, *, shop: str, customer_id: str, cart_id: str
) -> str:
    """The arm the weights give this customer (or cart) in this experiment."""
    who = cart_id if split.assign == Assign.CART else customer_id
    return pick((shop, who, journey, split.experiment), split.weights_bp())


assert BUCKETS == 10_000  # arm weights are percent, turned into basis points by the spec
