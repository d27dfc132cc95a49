"""The codec server the Temporal UI and CLI call: CORS for the UI's origin only, a bearer
token, and payloads round-tripped in the proto JSON the UI sends."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.common.v1 import Payloads

from data_at_rest.cipher import new_key
from settings import Settings
from temporal_payloads.converter import data_converter, payload_converter
from tests.support.api import app_without_temporal
from tests.support.temporal import settings_for_tests

TOKEN = "codec-token-for-tests-0123456789"
UI = "http://temporal-ui.test:8233"
PHONE = "+905559998877"


def _body(*values: Any) -> dict[str, Any]:
    payloads = Payloads(payloads=payload_converter.to_payloads(list(values)))
    return json_format.MessageToDict(payloads)


@asynccontextmanager
async def _codec_client(
    settings: Settings, engine: AsyncEngine, *, client_host: str = "127.0.0.1", **headers: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_without_temporal(settings, engine) as app:
        transport = httpx.ASGITransport(app=app, client=(client_host, 50123))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://cartnudge.test", headers=headers
        ) as client:
            yield client


@pytest.fixture
def settings() -> Settings:
    return settings_for_tests(
        codec_token=TOKEN, temporal_ui_url=f"{UI}/namespaces/default/workflows"
    )


@pytest.fixture
async def codec(settings: Settings, db_engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async with _codec_client(settings, db_engine, Authorization=f"Bearer {TOKEN}") as client:
        yield client


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }


async def test_the_ui_origin_passes_the_preflight(codec: httpx.AsyncClient) -> None:
    response = await codec.options("/codec/decode", headers=_preflight(UI))

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == UI
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "x-namespace" in allowed
    assert response.headers["access-control-allow-credentials"] == "true"


async def test_another_origin_is_refused_at_the_preflight(codec: httpx.AsyncClient) -> None:
    response = await codec.options("/codec/decode", headers=_preflight("https://evil.example"))

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_the_ui_origin_gets_no_cors_on_the_shop_api(codec: httpx.AsyncClient) -> None:
    response = await codec.options("/v1/carts/abc", headers=_preflight(UI))

    assert "access-control-allow-origin" not in response.headers


async def test_an_encode_decode_round_trip_gives_the_payloads_back(
    codec: httpx.AsyncClient,
) -> None:
    sent = _body({"phone": PHONE}, "second")

    encoded = await codec.post("/codec/encode", json=sent, headers={"X-Namespace": "default"})

    assert encoded.status_code == 200, encoded.text
    sealed = encoded.json()["payloads"]
    assert len(sealed) == 2
    assert base64.b64decode(sealed[0]["metadata"]["encoding"]) == b"binary/encrypted"
    assert base64.b64decode(sealed[0]["metadata"]["encryption-key-id"]) == b"test"
    assert PHONE not in encoded.text
    decoded = await codec.post("/codec/decode", json=encoded.json())
    assert decoded.status_code == 200, decoded.text
    assert decoded.json() == sent


async def test_decode_reads_what_the_worker_wrote(
    codec: httpx.AsyncClient, settings: Settings
) -> None:
    written = await data_converter(settings).encode([{"phone": PHONE}])
    body = json_format.MessageToDict(Payloads(payloads=written))

    decoded = await codec.post("/codec/decode", json=body)

    assert decoded.json() == _body({"phone": PHONE})


async def test_plaintext_payloads_come_back_as_they_are(codec: httpx.AsyncClient) -> None:
    decoded = await codec.post("/codec/decode", json=_body("recorded before encryption"))

    assert decoded.json() == _body("recorded before encryption")


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
async def test_no_or_a_wrong_token_is_refused(
    settings: Settings, db_engine: AsyncEngine, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with _codec_client(settings, db_engine, **headers) as client:
        response = await client.post("/codec/decode", json=_body("x"))

    assert response.status_code == 401
    assert "CARTNUDGE_CODEC_TOKEN" in response.json()["detail"]


async def test_production_without_a_token_answers_403_naming_the_setting(
    db_engine: AsyncEngine,
) -> None:
    key = [{"id": "k1", "key": new_key()}]
    settings = settings_for_tests(environment="production", data_at_rest_keys=key, payload_keys=key)
    async with _codec_client(settings, db_engine) as client:
        response = await client.post("/codec/decode", json=_body("x"))

    assert response.status_code == 403
    assert "set CARTNUDGE_CODEC_TOKEN" in response.json()["detail"]


async def test_locally_without_a_token_only_this_machine_and_the_ui_may_call(
    db_engine: AsyncEngine,
) -> None:
    settings = settings_for_tests(temporal_ui_url=UI)  # local, no codec token: `make run`
    async with _codec_client(settings, db_engine) as local:
        assert (await local.post("/codec/decode", json=_body("x"))).status_code == 200
        from_ui = await local.post("/codec/decode", json=_body("x"), headers={"Origin": UI})
        assert from_ui.status_code == 200
        elsewhere = await local.post(
            "/codec/decode", json=_body("x"), headers={"Origin": "https://evil.example"}
        )
        assert elsewhere.status_code == 403
    async with _codec_client(settings, db_engine, client_host="203.0.113.9") as remote:
        refused = await remote.post("/codec/decode", json=_body("x"))
    assert refused.status_code == 403
    assert "CARTNUDGE_CODEC_TOKEN" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"not json", "the body must be"),
        (b'{"payloads": "one"}', "the body must be"),
        (b'{"payloads": [{"data": 42}]}', "the body must be"),
        (b'{"payload": []}', "the body must be"),
        (b"\xff\xfe", "the body must be"),
    ],
    ids=["not json", "not a list", "data not base64 text", "wrong field", "not utf-8"],
)
async def test_a_malformed_body_gets_400_saying_what_is_wrong(
    codec: httpx.AsyncClient, body: bytes, named: str
) -> None:
    for path in ("/codec/decode", "/codec/encode"):
        response = await codec.post(
            path, content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert named in response.json()["detail"]


async def test_a_payload_under_an_unknown_key_gets_400_naming_key_and_setting(
    codec: httpx.AsyncClient,
) -> None:
    other = settings_for_tests(payload_keys=[{"id": "k9", "key": new_key()}])
    written = await data_converter(other).encode(["x"])

    response = await codec.post(
        "/codec/decode", json=json_format.MessageToDict(Payloads(payloads=written))
    )

    assert response.status_code == 400
    assert "'k9'" in response.json()["detail"]
    assert "CARTNUDGE_PAYLOAD_KEYS" in response.json()["detail"]
