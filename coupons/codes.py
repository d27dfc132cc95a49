"""The code a send's coupon gets, derived from the send's outbox key.

An HMAC of the key under the deployment's secret: a retried send recomputes the same code
(so the platform answers "that code exists" rather than making a second one), and nobody
without the secret can guess another customer's code from their own. Eight characters of
an alphabet without look-alikes (no 0/O, 1/I/L) after "CN-": about 8.5 * 10^11 codes, read
aloud or typed from an SMS without mistakes.
"""

from __future__ import annotations

import hashlib
import hmac

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PREFIX = "CN-"
LENGTH = 8


def derive_code(secret: str, key: str, *, attempt: int = 0) -> str:
    """The code for the send `key`; `attempt` > 0 only when an earlier code of the same
    shop collided with it (a one-in-a-billion chance, handled rather than assumed away)."""
    message = key if attempt == 0 else f"{key}#{attempt}"
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    characters = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[index])
    return PREFIX + "".join(characters)


def coupon_title(*, key: str, message_id: str) -> str:
    """What the platform shows the merchant for the code, and how a retry recognises a code
    an earlier attempt made: the same title, recomputed from the same send."""
    tag = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"cartnudge {message_id} {tag}"
