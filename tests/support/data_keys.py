"""Keys for data at rest in tests: the dev key every test process uses, and fresh ones.

`dev_cipher()` is what an app, worker or CLI built from `settings_for_tests()` decrypts
with, so a shop a factory stores is read back as any process would read it.
"""

from __future__ import annotations

from pydantic import SecretStr

from data_at_rest.cipher import DataCipher, new_key
from settings import DataKey, Settings


def dev_cipher() -> DataCipher:
    return DataCipher.from_settings(Settings())


def fresh_key(key_id: str) -> DataKey:
    return DataKey(id=key_id, key=SecretStr(new_key()))
