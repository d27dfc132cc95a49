"""The cipher of shops' secrets: what it stores, what it refuses to open, and plaintext rows."""

from __future__ import annotations

import base64
import logging

import pytest

from data_at_rest.cipher import DataCipher, UnreadableSecret, key_id_of
from tests.support.data_keys import fresh_key

K1, K2 = fresh_key("k1"), fresh_key("k2")
WHERE = {"table": "shops", "row": "kedi", "column": "shopify_admin_token"}


def test_a_stored_value_names_its_version_and_key_and_hides_the_secret() -> None:
    cipher = DataCipher([K1])

    stored = cipher.encrypt("shpat_0123456789", **WHERE)

    prefix, version, key_id, body = stored.split(":")
    assert (prefix, version, key_id) == ("enc", "v1", "k1")
    assert "shpat" not in stored
    assert len(base64.urlsafe_b64decode(body + "==")) == 12 + len("shpat_0123456789") + 16
    assert cipher.decrypt(stored, **WHERE) == "shpat_0123456789"
    assert cipher.encrypt("shpat_0123456789", **WHERE) != stored  # a fresh nonce each time


def test_a_value_written_under_an_old_key_is_read_while_the_key_is_listed() -> None:
    stored = DataCipher([K1]).encrypt("ck_secret", **WHERE)
    rotated = DataCipher([K2, K1])

    assert rotated.decrypt(stored, **WHERE) == "ck_secret"
    assert not rotated.is_current(stored)
    assert key_id_of(rotated.encrypt("ck_secret", **WHERE)) == "k2"


def test_a_value_whose_key_is_no_longer_listed_is_refused_naming_shop_field_and_setting() -> None:
    stored = DataCipher([K1]).encrypt("ck_secret", **WHERE)

    with pytest.raises(UnreadableSecret) as refused:
        DataCipher([K2]).decrypt(stored, **WHERE)

    said = str(refused.value)
    assert "shops 'kedi'" in said and "shopify_admin_token" in said
    assert "key 'k1', which is not listed" in said and "CARTNUDGE_DATA_AT_REST_KEYS" in said
    assert "ck_secret" not in said


@pytest.mark.parametrize(
    "moved",
    [{"row": "other_shop"}, {"column": "catalog_token"}],
    ids=["another shop", "another column"],
)
def test_a_ciphertext_moved_to_another_shop_or_column_does_not_decrypt(
    moved: dict[str, str],
) -> None:
    cipher = DataCipher([K1])
    stored = cipher.encrypt("ck_secret", **WHERE)

    with pytest.raises(UnreadableSecret, match="copied from another row or column"):
        cipher.decrypt(stored, **{**WHERE, **moved})


def test_an_altered_ciphertext_is_refused() -> None:
    cipher = DataCipher([K1])
    stored = cipher.encrypt("ck_secret", **WHERE)
    flipped = "A" if stored[-5] != "A" else "B"
    tampered = stored[:-5] + flipped + stored[-4:]

    with pytest.raises(UnreadableSecret, match="altered"):
        cipher.decrypt(tampered, **WHERE)
    with pytest.raises(UnreadableSecret, match="not a enc:v1"):
        cipher.decrypt("enc:v9:k1:AAAA", **WHERE)


def test_a_value_stored_before_encryption_reads_as_it_is_with_one_warning_per_shop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cipher = DataCipher([K1])
    caplog.set_level(logging.WARNING, logger="cartnudge.data_at_rest")

    first = cipher.decrypt("shpss_plain", **WHERE)
    again = cipher.decrypt("whsec_plain", **{**WHERE, "column": "woocommerce_secret"})
    other = cipher.decrypt("tok", **{**WHERE, "row": "other_shop"})

    assert (first, again, other) == ("shpss_plain", "whsec_plain", "tok")
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2  # kedi once, other_shop once
    assert "shops 'kedi' holds secrets in plaintext" in warnings[0]
    assert "cartnudge secrets rotate" in warnings[0]
    assert not cipher.is_current("shpss_plain") and key_id_of("shpss_plain") is None
