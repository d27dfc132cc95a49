"""AES-256-GCM for values stored in the database, under keys from the settings.

A stored value reads `enc:v1:<key id>:<base64url(nonce | ciphertext and tag)>`. The table,
column and row it belongs to are its associated data, so a ciphertext copied to another
shop or column does not decrypt. The first key of CARTNUDGE_DATA_AT_REST_KEYS encrypts;
every listed key decrypts, so an old key stays listed until `cartnudge secrets rotate` has
re-encrypted what it wrote.

A value without the `enc:` prefix was stored before encryption: it is read as it is, with
a warning once per row, until rotation encrypts it.

    UnreadableSecret        a stored value that can not be decrypted: its key is not
                            listed, or the value was altered or moved
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from settings import DataKey, Settings

log = logging.getLogger("cartnudge.data_at_rest")

PREFIX = "enc"
VERSION = "v1"
NONCE_BYTES = 12
SETTING = "CARTNUDGE_DATA_AT_REST_KEYS"


class UnreadableSecret(Exception):
    """A stored secret that can not be decrypted with the keys this process was given."""

    def __init__(self, *, table: str, row: str, column: str, problem: str) -> None:
        super().__init__(
            f"{table} {row!r}: {column} can not be decrypted ({problem}); check that"
            f" {SETTING} lists the key it was written with, as in the process that wrote it"
        )
        self.table = table
        self.row = row
        self.column = column


class DataCipher:
    """Encrypts with the first key, decrypts with any; built once from the settings."""

    def __init__(self, keys: Sequence[DataKey]) -> None:
        if not keys:
            raise ValueError(f"{SETTING} lists no key")
        self._keys = {key.id: AESGCM(key.secret()) for key in keys}
        self.current_key_id = keys[0].id
        self._warned: set[tuple[str, str]] = set()  # (table, row) read in plaintext

    @classmethod
    def from_settings(cls, settings: Settings) -> DataCipher:
        return cls(settings.data_at_rest_keys)

    def encrypt(self, plaintext: str, *, table: str, row: str, column: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current_key_id].encrypt(
            nonce, plaintext.encode(), _associated(table, row, column)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}:{VERSION}:{self.current_key_id}:{body}"

    def decrypt(self, stored: str, *, table: str, row: str, column: str) -> str:
        """The plaintext of a stored value; a value stored before encryption as it is."""
        if not is_encrypted(stored):
            if (table, row) not in self._warned:
                self._warned.add((table, row))
                log.warning(
                    "%s %r holds secrets in plaintext (stored before encryption); run"
                    " `cartnudge secrets rotate` to encrypt them",
                    table,
                    row,
                )
            return stored

        def unreadable(problem: str) -> UnreadableSecret:
            return UnreadableSecret(table=table, row=row, column=column, problem=problem)

        parts = stored.split(":", 3)
        if len(parts) != 4 or parts[1] != VERSION:
            raise unreadable(f"not a {PREFIX}:{VERSION}:<key id>:<data> value")
        _, _, key_id, body = parts
        key = self._keys.get(key_id)
        if key is None:
            raise unreadable(f"written with key {key_id!r}, which is not listed")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plaintext = key.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(table, row, column)
            )
        except (binascii.Error, ValueError, InvalidTag):
            raise unreadable(
                f"key {key_id!r} does not open it: altered, or copied from another row or column"
            ) from None
        return plaintext.decode()

    def is_current(self, stored: str) -> bool:
        """Whether the value is encrypted with the current key (else rotation re-encrypts it)."""
        return key_id_of(stored) == self.current_key_id


def is_encrypted(stored: str) -> bool:
    return stored.startswith(f"{PREFIX}:")


def key_id_of(stored: str) -> str | None:
    """The id of the key a stored value was encrypted with; None for plaintext."""
    if not is_encrypted(stored):
        return None
    parts = stored.split(":", 3)
    return parts[2] if len(parts) == 4 else None


def _associated(table: str, row: str, column: str) -> bytes:
    # NUL can not occur in a table, column or shop id, so no two triples read the same.
    return f"cartnudge:{VERSION}\0{table}\0{column}\0{row}".encode()


def new_key() -> str:
    """A fresh key for CARTNUDGE_DATA_AT_REST_KEYS: 32 random bytes, base64."""
    return base64.b64encode(os.urandom(32)).decode()
