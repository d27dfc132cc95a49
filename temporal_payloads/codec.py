"""AES-256-GCM over every payload cartnudge gives Temporal, under CARTNUDGE_PAYLOAD_KEYS.

An encrypted payload reads, in Temporal's history and database:

    metadata  encoding: binary/encrypted, encryption-key-id: <key id>
    data      nonce (12 random bytes) | AES-256-GCM(the whole original Payload, serialised)

so its encoding, its type and its content are all sealed. The first listed key encrypts;
every listed key decrypts, so a new key goes first and the old one stays listed until no
running cart holds a payload under it. A payload without our encoding (recorded before
encryption was turned on, or a search attribute) passes through as it is.

    PayloadUnreadable           an encrypted payload this process can not open
        UnknownPayloadKey       its key id is not listed in CARTNUDGE_PAYLOAD_KEYS
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from settings import DataKey

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
SETTING = "CARTNUDGE_PAYLOAD_KEYS"
# Bound into every ciphertext: bytes sealed for another purpose under the same key do not open.
_ASSOCIATED = b"cartnudge temporal payload v1"


class PayloadUnreadable(Exception):
    """An encrypted payload that does not decrypt with the keys this process was given."""


class UnknownPayloadKey(PayloadUnreadable):
    """The payload names a key id the settings do not list."""

    def __init__(self, key_id: str, listed: Sequence[str]) -> None:
        listing = ", ".join(repr(k) for k in listed) or "no key"
        super().__init__(
            f"a Temporal payload is encrypted with key {key_id!r}, which {SETTING} does not"
            f" list (it lists {listing}): add that key to {SETTING}, after the current one,"
            " in every worker, API and CLI process"
        )
        self.key_id = key_id


class PayloadEncryption(PayloadCodec):
    """Encrypts with the first key, decrypts with any listed one; built from the settings."""

    def __init__(self, keys: Sequence[DataKey]) -> None:
        if not keys:
            raise ValueError(f"{SETTING} lists no key: nothing to encrypt with")
        self._keys = {key.id: AESGCM(key.secret()) for key in keys}
        self.current_key_id = keys[0].id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current_key_id].encrypt(
            nonce, payload.SerializeToString(), _ASSOCIATED
        )
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: self.current_key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if not is_encrypted(payload):
            return payload  # written before encryption (or never ours): read as it is
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownPayloadKey(key_id, list(self._keys))
        data = payload.data
        try:
            plaintext = key.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], _ASSOCIATED)
        except (InvalidTag, ValueError):
            raise PayloadUnreadable(
                f"a Temporal payload under key {key_id!r} does not decrypt: it was altered,"
                f" or {SETTING} holds another key under that id than the process that wrote it"
            ) from None
        return Payload.FromString(plaintext)


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


def sealed_under_another_key(payloads: Sequence[Payload], codec: object) -> bool:
    """Whether any of these stored payloads is encrypted under a key other than the one
    `codec` (a client's payload codec) encrypts with now: a schedule's stored arguments,
    written once, must be rewritten before their old key is dropped."""
    if not isinstance(codec, PayloadEncryption):
        return False
    return any(
        is_encrypted(payload)
        and payload.metadata.get(KEY_ID, b"").decode(errors="replace") != codec.current_key_id
        for payload in payloads
    )
