"""Each provider's proof that a webhook call is its own, against published or built vectors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from api.webhook_signatures import (
    InvalidPublicKey,
    credentials_match,
    hmac_sha256_base64,
    twilio_signature,
    verify_sendgrid,
    verify_shopify,
    verify_twilio,
    verify_woocommerce,
)

# --- Twilio ---------------------------------------------------------------------------

# The worked example in Twilio's webhook security guide.
TWILIO_TOKEN = "12345"
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = [
    ("To", "+18005551212"),  # out of order on purpose: the signature sorts them
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+12349013030"),
    ("Digits", "1234"),
    ("From", "+12349013030"),
]
TWILIO_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilios_published_example_verifies() -> None:
    assert twilio_signature(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS) == TWILIO_SIGNATURE
    assert verify_twilio(
        TWILIO_TOKEN, url=TWILIO_URL, params=TWILIO_PARAMS, signature=TWILIO_SIGNATURE
    )


@pytest.mark.parametrize(
    ("url", "params", "token"),
    [
        (TWILIO_URL.replace("bar=2", "bar=3"), TWILIO_PARAMS, TWILIO_TOKEN),
        ("http://mycompany.com/myapp.php?foo=1&bar=2", TWILIO_PARAMS, TWILIO_TOKEN),
        (TWILIO_URL, [*TWILIO_PARAMS[:-1], ("From", "+19999999999")], TWILIO_TOKEN),
        (TWILIO_URL, [*TWILIO_PARAMS, ("Body", "STOP")], TWILIO_TOKEN),
        (TWILIO_URL, TWILIO_PARAMS, "54321"),
    ],
    ids=["query changed", "scheme changed", "param changed", "param added", "other token"],
)
def test_a_changed_twilio_call_does_not_verify(
    url: str, params: list[tuple[str, str]], token: str
) -> None:
    assert not verify_twilio(token, url=url, params=params, signature=TWILIO_SIGNATURE)


# --- SendGrid -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sendgrid_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_b64(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def sendgrid_sign(key: ec.EllipticCurvePrivateKey, timestamp: str, body: bytes) -> str:
    return base64.b64encode(key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


BODY = b'[{"event":"open","sg_event_id":"e1","email":"ayse@example.com","timestamp":1700000000}]'


def test_a_sendgrid_signature_over_timestamp_and_body_verifies(
    sendgrid_key: ec.EllipticCurvePrivateKey,
) -> None:
    signature = sendgrid_sign(sendgrid_key, "1700000000", BODY)

    assert verify_sendgrid(
        public_b64(sendgrid_key), signature=signature, timestamp="1700000000", body=BODY
    )


def test_a_changed_sendgrid_call_does_not_verify(
    sendgrid_key: ec.EllipticCurvePrivateKey,
) -> None:
    key = public_b64(sendgrid_key)
    signature = sendgrid_sign(sendgrid_key, "1700000000", BODY)
    other = sendgrid_sign(ec.generate_private_key(ec.SECP256R1()), "1700000000", BODY)

    def check(signature: str, timestamp: str = "1700000000", body: bytes = BODY) -> bool:
        return verify_sendgrid(key, signature=signature, timestamp=timestamp, body=body)

    assert not check(signature, body=BODY.replace(b"open", b"click"))
    assert not check(signature, timestamp="1700000001")
    assert not check(other)
    assert not check("not base64!")
    assert not check(base64.b64encode(b"not a DER signature").decode())
    assert not check("")


def test_an_unusable_sendgrid_key_is_a_configuration_error() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for key in ("not base64!", base64.b64encode(b"not DER").decode(), public_b64(rsa_key)):
        with pytest.raises(InvalidPublicKey):
            verify_sendgrid(key, signature="", timestamp="1", body=b"")


# --- Postmark (basic auth) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "password", "matches"),
    [
        ("hooks", "s3cret", True),
        ("hooks", "s3cret!", False),
        ("hooks", "", False),
        ("Hooks", "s3cret", False),
        ("", "s3cret", False),
    ],
)
def test_basic_credentials_must_match_exactly(user: str, password: str, matches: bool) -> None:
    result = credentials_match(
        user=user, password=password, expected_user="hooks", expected_password="s3cret"
    )
    assert result is matches


# --- Shopify and WooCommerce (base64 HMAC-SHA256 over the raw body) --------------------

# RFC 4231, test case 2: the HMAC-SHA256 of this data with this key, in hex.
RFC4231_KEY = "Jefe"
RFC4231_DATA = b"what do ya want for nothing?"
RFC4231_HEX = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
WOO_BODY = Path(__file__).parents[1] / "api" / "payloads" / "woocommerce_order_processing.json"


def test_the_platform_signature_is_the_base64_of_the_rfc_4231_hmac() -> None:
    expected = base64.b64encode(bytes.fromhex(RFC4231_HEX)).decode()

    assert hmac_sha256_base64(RFC4231_KEY, RFC4231_DATA) == expected
    assert verify_shopify(RFC4231_KEY, body=RFC4231_DATA, signature=expected)
    assert verify_woocommerce(RFC4231_KEY, body=RFC4231_DATA, signature=expected)


@pytest.mark.parametrize("verify", [verify_shopify, verify_woocommerce])
def test_a_changed_platform_call_does_not_verify(verify: Callable[..., bool]) -> None:
    signature = hmac_sha256_base64("s3cret", BODY)

    assert verify("s3cret", body=BODY, signature=signature)
    assert not verify("s3cret", body=BODY.replace(b"open", b"click"), signature=signature)
    assert not verify("other", body=BODY, signature=signature)
    assert not verify("s3cret", body=BODY, signature=signature.lower())
    assert not verify("s3cret", body=BODY, signature="")
    assert not verify("s3cret", body=BODY, signature="not base64 at all!")


def test_woocommerce_signs_its_escaped_slashes_so_only_the_raw_bytes_verify() -> None:
    raw = WOO_BODY.read_bytes()
    assert b"https:\\/\\/shop.example" in raw  # PHP's json_encode writes `/` as `\\/`
    signature = hmac_sha256_base64("woo-secret", raw)
    reserialised = json.dumps(json.loads(raw), separators=(",", ":")).encode()

    assert verify_woocommerce("woo-secret", body=raw, signature=signature)
    assert json.loads(reserialised) == json.loads(raw)  # the same JSON...
    # ...but not the bytes WooCommerce signed
    assert not verify_woocommerce("woo-secret", body=reserialised, signature=signature)
