"""The payload codec and the data converter: what Temporal receives is sealed, what we read
back is what we wrote, under every listed key, and old plaintext still reads."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.exceptions import ApplicationError

from data_at_rest.cipher import new_key
from settings import DEV_PAYLOAD_KEY, Settings
from temporal_payloads.codec import PayloadUnreadable, UnknownPayloadKey
from temporal_payloads.converter import data_converter, payload_converter
from tests.factories import make_cart, make_customer
from tests.support.temporal import settings_for_tests
from workflows.payloads import Cart

K1 = {"id": "k1", "key": new_key()}
K2 = {"id": "k2", "key": new_key()}
EMAIL = "elif.codec-unit@example.com"


def _cart() -> Cart:
    return make_cart(customer=make_customer(email=EMAIL, phone="+905551112233"))


async def test_a_cart_reaches_temporal_sealed_and_reads_back_whole() -> None:
    converter = data_converter(settings_for_tests(payload_keys=[K1]))

    [payload] = await converter.encode([_cart()])

    assert payload.metadata["encoding"] == b"binary/encrypted"
    assert payload.metadata["encryption-key-id"] == b"k1"
    assert EMAIL.encode() not in payload.SerializeToString()
    assert b"json/plain" not in payload.SerializeToString()  # the type is sealed too
    assert await converter.decode([payload], [Cart]) == [_cart()]


async def test_a_payload_written_before_encryption_reads_as_it_is() -> None:
    plaintext = payload_converter.to_payloads([_cart()])  # a history recorded before issue 13
    converter = data_converter(settings_for_tests(payload_keys=[K1]))

    assert await converter.decode(plaintext, [Cart]) == [_cart()]


async def test_keys_rotate_new_first_old_still_read() -> None:
    before = data_converter(settings_for_tests(payload_keys=[K1]))
    after = data_converter(settings_for_tests(payload_keys=[K2, K1]))
    [old] = await before.encode([_cart()])

    [new] = await after.encode([_cart()])

    assert await after.decode([old], [Cart]) == [_cart()]
    assert new.metadata["encryption-key-id"] == b"k2"
    assert await after.decode([new], [Cart]) == [_cart()]


async def test_a_payload_under_a_key_no_longer_listed_names_the_key_and_the_setting() -> None:
    [old] = await data_converter(settings_for_tests(payload_keys=[K1])).encode([_cart()])
    only_k2 = data_converter(settings_for_tests(payload_keys=[K2]))

    with pytest.raises(UnknownPayloadKey) as refused:
        await only_k2.decode([old], [Cart])

    assert "'k1'" in str(refused.value) and "CARTNUDGE_PAYLOAD_KEYS" in str(refused.value)
    assert "'k2'" in str(refused.value)  # what it does list


async def test_an_altered_payload_is_refused_not_misread() -> None:
    converter = data_converter(settings_for_tests(payload_keys=[K1]))
    [payload] = await converter.encode([_cart()])
    altered = Payload(metadata=payload.metadata, data=payload.data[:-1] + b"\0")

    with pytest.raises(PayloadUnreadable, match="'k1' does not decrypt"):
        await converter.decode([altered], [Cart])


async def test_a_failure_message_quoting_a_customer_is_sealed_too() -> None:
    converter = data_converter(settings_for_tests(payload_keys=[K1]))
    failure = Failure()

    await converter.encode_failure(ApplicationError(f"{EMAIL} bounced"), failure)

    assert EMAIL.encode() not in failure.SerializeToString()
    assert failure.message == "Encoded failure"
    error = await converter.decode_failure(failure)
    assert str(error) == f"{EMAIL} bounced"


async def test_empty_keys_turn_encryption_off() -> None:
    converter = data_converter(settings_for_tests(payload_keys=[]))

    [payload] = await converter.encode([_cart()])

    assert EMAIL.encode() in payload.data
    assert payload.metadata["encoding"] == b"json/plain"


def test_the_quick_start_encrypts_with_the_documented_dev_key() -> None:
    [key] = Settings().payload_keys
    assert (key.id, key.key.get_secret_value()) == ("dev", DEV_PAYLOAD_KEY)
    assert data_converter(Settings()).payload_codec is not None


def test_production_refuses_the_dev_payload_key_naming_the_setting_and_how_to_make_one() -> None:
    real = {"id": "k1", "key": new_key()}
    with pytest.raises(ValidationError) as refused:
        Settings(environment="production", secret_key="x" * 40, data_at_rest_keys=[real])

    said = str(refused.value)
    assert "CARTNUDGE_PAYLOAD_KEYS must be set in production" in said
    assert "cartnudge secrets new-key" in said


def test_production_runs_with_a_real_key_or_explicitly_none() -> None:
    real = [{"id": "k1", "key": new_key()}]
    for keys in (real, []):
        settings = Settings(
            environment="production",
            secret_key="x" * 40,
            data_at_rest_keys=real,
            payload_keys=keys,
        )
        assert len(settings.payload_keys) == len(keys)


def test_the_keys_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTNUDGE_PAYLOAD_KEYS", f'[{{"id": "k2", "key": "{K2["key"]}"}}]')
    assert [key.id for key in Settings().payload_keys] == ["k2"]
    monkeypatch.setenv("CARTNUDGE_PAYLOAD_KEYS", "[]")
    assert Settings().payload_keys == []


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ([K1, K1], "lists key id 'k1' twice"),
        ([{"id": "k1", "key": base64.b64encode(b"short").decode()}], "must be 32"),
        ([{"id": "k1", "key": "not base64!"}], "not base64"),
    ],
)
def test_unusable_keys_are_refused_at_start(keys: list[dict[str, str]], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as refused:
        Settings(payload_keys=keys)
    assert "payload_keys" in str(refused.value)
