"""Who a coupon went to, beyond the shop's customer id: a keyed hash of their email (else
their phone), so a guest, whose id is new on every checkout, is still the same person to
`customer.coupons_sent_30d`. Keyed with the secret key, so the stored digest does not give
the address back to whoever reads the table."""

from __future__ import annotations

import hashlib
import hmac

DOMAIN = b"cartnudge.coupon-recipient.v1."


def contact_digest(secret: str, contact: str | None) -> str | None:
    """The hex HMAC of the contact, an email folded to one case; None without one."""
    if not contact:
        return None
    folded = contact.strip().casefold() if "@" in contact else contact.strip()
    return hmac.new(secret.encode(), DOMAIN + folded.encode(), hashlib.sha256).hexdigest()
