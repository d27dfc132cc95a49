"""How each provider proves a webhook call is its own; pure functions, no HTTP.

SendGrid   ECDSA P-256 / SHA-256 over `timestamp + raw body`, the signature base64
           DER in X-Twilio-Email-Event-Webhook-Signature, the public key (base64 DER
           SubjectPublicKeyInfo) from SendGrid's Event Webhook settings
Postmark   HTTP basic auth with the user and password set in the webhook URL
Twilio     X-Twilio-Signature: base64 HMAC-SHA1 with the auth token over the URL
           Twilio called (query string included) followed by every POST parameter,
           sorted, as name + value
Shopify    X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 with the app's webhook secret
           over the raw body
WooCommerce X-WC-Webhook-Signature: base64 HMAC-SHA256 with the webhook's secret over
           the raw body, exactly as sent (WooCommerce writes `/` as `\\/`, so JSON
           serialised again does not match)

InvalidPublicKey   the configured SendGrid key is not an EC public key in base64 DER
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key


class InvalidPublicKey(ValueError):
    """The configured SendGrid verification key can not be read."""


@functools.lru_cache(maxsize=4)
def sendgrid_public_key(key: str) -> ec.EllipticCurvePublicKey:
    """The verification key from its base64 DER form (SendGrid's settings page shows that)."""
    try:
        loaded = load_der_public_key(base64.b64decode(key, validate=True))
    except (binascii.Error, ValueError) as err:
        raise InvalidPublicKey("not a base64 DER public key") from err
    if not isinstance(loaded, ec.EllipticCurvePublicKey):
        raise InvalidPublicKey("not an elliptic-curve public key")
    return loaded


def verify_sendgrid(key: str, *, signature: str, timestamp: str, body: bytes) -> bool:
    """Whether SendGrid signed `timestamp + body` with the key's private half."""
    public_key = sendgrid_public_key(key)
    try:
        der = base64.b64decode(signature, validate=True)
        public_key.verify(der, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The X-Twilio-Signature Twilio sends when it POSTs `params` to `url`."""
    # As Twilio's own libraries do: by name, then value, a repeated pair counted once.
    signed = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_twilio(
    auth_token: str, *, url: str, params: Iterable[tuple[str, str]], signature: str
) -> bool:
    """Whether the signature is Twilio's for this URL and these POST parameters."""
    expected = twilio_signature(auth_token, url, params)
    return hmac.compare_digest(expected.encode(), signature.encode())


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def credentials_match(
    *, user: str, password: str, expected_user: str, expected_password: str
) -> bool:
    """Basic-auth credentials, compared in constant time (digests hide even the length)."""
    user_ok = hmac.compare_digest(_digest(user), _digest(expected_user))
    password_ok = hmac.compare_digest(_digest(password), _digest(expected_password))
    return user_ok & password_ok


def hmac_sha256_base64(secret: str, body: bytes) -> str:
    """Base64 HMAC-SHA256 of the raw body: what Shopify and WooCommerce sign a webhook with."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _signed_with(secret: str, body: bytes, signature: str) -> bool:
    expected = hmac_sha256_base64(secret, body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def verify_shopify(secret: str, *, body: bytes, signature: str) -> bool:
    """Whether X-Shopify-Hmac-Sha256 is the app secret's signature of exactly this body."""
    return _signed_with(secret, body, signature)


def verify_woocommerce(secret: str, *, body: bytes, signature: str) -> bool:
    """Whether X-WC-Webhook-Signature is the webhook secret's signature of this body."""
    return _signed_with(secret, body, signature)
