"""Short links: what an SMS or a push carries in place of a long signed click link.

A click token is some 300 characters; in a Turkish (UCS-2) SMS that alone is five billed
segments. So SMS and push carry `{public_url}/t/s/<id>`, and `short_links` keeps which
token each id stands for; `/t/s/<id>` looks the token up and is then exactly the click
`/t/c/<token>` (api/routes/tracking.py).

The id is derived from the token, not drawn at random: an HMAC-SHA256 of the token with
the secret key, for this use only, cut to 12 base64url characters (72 bits). A retried
send or a preview makes the same id for the same link, so storing it twice is a no-op; an
id can not be guessed from a link's contents without the key; and a stored pair whose id
is not the token's is refused when it is read, like a forged token.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from tracking.tokens import encode_part

SHORT_PATH = "/t/s/"
SHORT_ID_LENGTH = 12  # base64url characters: 72 bits
# Binds the mac to this use: no token or other mac made with the same secret is an id.
_DOMAIN = b"cartnudge.short.v1."
_SHORT_ID = re.compile(rf"[A-Za-z0-9_-]{{{SHORT_ID_LENGTH}}}")

# Where validation measures an SMS when it does not know the deployment's public URL (an
# editor, a check without settings): a realistic shop domain, so a text that fits here
# fits most deployments. `make check-journeys` uses CARTNUDGE_PUBLIC_URL when it is set.
STAND_IN_PUBLIC_URL = "https://shop.example.com"


def short_id(token: str, secret: str) -> str:
    """The short link id of a click token: the same token and secret, the same id."""
    digest = hmac.new(secret.encode(), _DOMAIN + token.encode("ascii"), hashlib.sha256)
    return encode_part(digest.digest())[:SHORT_ID_LENGTH]


def is_short_id(text: str) -> bool:
    """Spelled like an id `short_id` makes (whether we made it is for the lookup to say)."""
    return _SHORT_ID.fullmatch(text) is not None


def belongs_to(id_: str, token: str, secret: str) -> bool:
    """Whether `id_` is the short id we make for `token` with `secret`."""
    return hmac.compare_digest(id_, short_id(token, secret))


def short_url(public_url: str, id_: str) -> str:
    """`{public_url}/t/s/{id}`: the link a customer sees in an SMS or a push."""
    return f"{public_url.rstrip('/')}{SHORT_PATH}{id_}"


def sample_short_url(public_url: str | None) -> str:
    """A short link as long as the deployment's (`public_url`; None: the stand-in), for
    counting an SMS's segments before anything is sent."""
    return short_url(public_url or STAND_IN_PUBLIC_URL, "S" * SHORT_ID_LENGTH)
