"""Every operation of our OpenAPI spec, fuzzed by schemathesis against the app in-process.

For each operation in the spec (read at collection, so new routes join by themselves),
schemathesis generates requests from the documented parameters and bodies, valid and
invalid ones (each example draws its mode), and every answer must be no server error, a
documented status, and match the documented content type, headers and schema; invalid
input must be refused with a 4xx. Operations whose only input is a free string (a token
in the path) can not be sent invalid input: their invalid draws are dropped.

The app runs on the suite's real PostgreSQL and a time-skipping Temporal, both up, so a
5xx is always a bug here, the documented 503s included. Requests carry the credentials
each operation's security scheme asks for (the API key of the autouse shop; the Postmark
webhook's basic auth), and in half the valid requests a `shop` in the body or query is
that key's shop, so the routes run past their 401 and 403 into storage and Temporal.

Reached only as far as their signature check (401), because random bytes are never
signed: the SendGrid, Twilio, Shopify and WooCommerce webhooks, and any signed webhook
added later. Their own tests sign their calls; here they prove a bad call is no 5xx.

Bounded for CI: MAX_EXAMPLES per operation, derandomized (the same requests every run),
no example database, no deadline (a Temporal round trip varies). `pytest
--hypothesis-show-statistics` shows which statuses each operation got.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from tests.support.api import API_KEY, SHOP, http_client
from tests.support.temporal import settings_for_tests

MAX_EXAMPLES = 50
BASE_URL = "http://cartnudge.test"
POSTMARK = ("postmark-user", "postmark-password")
# Configured, so the webhooks answer 401 to an unsigned call instead of "not configured" 503.
SENDGRID_PUBLIC_KEY = base64.b64encode(
    ec.generate_private_key(ec.SECP256R1())
    .public_key()
    .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
).decode()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _credentials(scheme: str) -> dict[str, str]:
    if scheme == "HTTPBearer":
        return {"Authorization": f"Bearer {API_KEY}"}
    if scheme == "HTTPBasic":
        token = base64.b64encode(":".join(POSTMARK).encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}  # a scheme we hold no credentials for: the call gets its 401


# Every webhook configured, for the spec and for the `app` fixture.
PROPERTY_SETTINGS: dict[str, Any] = {
    "sendgrid_webhook_public_key": SENDGRID_PUBLIC_KEY,
    "postmark_webhook_user": POSTMARK[0],
    "postmark_webhook_password": POSTMARK[1],
    "twilio_auth_token": "twilio-auth-token-for-properties",
}
pytestmark = pytest.mark.settings(**PROPERTY_SETTINGS)
SPEC: dict[str, Any] = create_app(settings_for_tests(**PROPERTY_SETTINGS)).openapi()
SCHEMA = schemathesis.openapi.from_dict(SPEC)
OPERATIONS = [
    (method.upper(), path)
    for path, methods in SPEC["paths"].items()
    for method in methods
    if method in {"get", "put", "post", "delete", "patch"}
]


def _headers(method: str, path: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for requirement in SPEC["paths"][path][method.lower()].get("security", []):
        for scheme in requirement:
            headers.update(_credentials(scheme))
    return headers


def _own_shop(case: schemathesis.Case[Any]) -> None:
    """Name the API key's shop wherever the case names a shop."""
    if isinstance(case.body, dict) and "shop" in case.body:
        case.body["shop"] = SHOP
    if case.query and "shop" in case.query:
        case.query["shop"] = SHOP


def _content(body: object) -> bytes | None:
    """The prepared body as bytes: requests leaves a str for form bodies."""
    if body is None or isinstance(body, bytes):
        return body
    assert isinstance(body, str), f"unexpected body {type(body).__name__}"
    return body.encode()


async def _send(client: httpx.AsyncClient, case: schemathesis.Case[Any]) -> httpx.Response:
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=_headers(case.method, case.path))
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        cookies=kwargs.get("cookies"),
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
    ).prepare()
    return await client.request(
        prepared.method or case.method,
        prepared.url or "",
        headers={name: str(value) for name, value in prepared.headers.items()},
        content=_content(prepared.body),
    )


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@given(data=st.data())
async def test_every_answer_is_documented_and_none_is_a_server_error(
    app: FastAPI, method: str, path: str, data: st.DataObject
) -> None:
    mode = data.draw(st.sampled_from(GenerationMode), label="mode")
    # An operation nothing can break (a lone string in the path) rejects every negative
    # draw: those examples are dropped and the positive ones run.
    case = data.draw(
        SCHEMA[path][method].as_strategy(generation_mode=mode, headers=_headers(method, path)),
        label="case",
    )
    if mode == GenerationMode.POSITIVE and data.draw(st.booleans(), label="own shop"):
        _own_shop(case)
    async with http_client(app) as client:
        response = await _send(client, case)
    event(f"{mode.value} {response.status_code}")  # --hypothesis-show-statistics shows them
    case.validate_response(response, checks=CHECKS)
