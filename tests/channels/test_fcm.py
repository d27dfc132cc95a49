"""FCM: a service-account token fetched once and renewed in time, and the v1 send request."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from channels.errors import ChannelError, PermanentChannelError, TransientChannelError
from channels.fcm import FcmSender, ServiceAccount, notification_tag
from channels.outgoing import PushOut
from tests.channels import FakeApi, json_body

TOKEN_URI = "https://oauth.test/token"
SEND_URL = "https://fcm.test/v1/projects/kosu-dukkani/messages:send"
PUSH = PushOut(
    idempotency_key="cart-demo_shop-c1:run-1:steps[3]",
    token="device-token-1",
    title="Sepetin seni bekliyor",
    body="Koşu Ayakkabısı hâlâ sepetinde",
    url="https://cartnudge.test/l/abc",
    metadata={"shop": "demo_shop", "message_id": "p1"},
)
TAG = notification_tag(PUSH.idempotency_key)
SENT = httpx.Response(200, json={"name": "projects/kosu-dukkani/messages/0:1500415314455276%31bd"})


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def account(private_key: rsa.RSAPrivateKey) -> ServiceAccount:
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return ServiceAccount.from_info(
        {
            "type": "service_account",
            "project_id": "kosu-dukkani",
            "private_key_id": "key-1",
            "private_key": pem,
            "client_email": "cartnudge@kosu-dukkani.iam.gserviceaccount.com",
            "token_uri": TOKEN_URI,
        }
    )


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Google:
    """The token endpoint and FCM in one: tokens are tok-1, tok-2...; FCM answers as told."""

    def __init__(self, *fcm_replies: httpx.Response | type[httpx.TransportError]) -> None:
        self.requests: list[httpx.Request] = []
        self._fcm = FakeApi(*(fcm_replies or (SENT,)))

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self._answer))

    @property
    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) == TOKEN_URI]

    @property
    def sends(self) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) == SEND_URL]

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) == TOKEN_URI:
            await asyncio.sleep(0)  # as a real request would, let other sends run meanwhile
            token = {"access_token": f"tok-{len(self.token_requests)}", "expires_in": 3599}
            return httpx.Response(200, json={**token, "token_type": "Bearer"})
        return self._fcm(request)


async def send_all(
    google: Google, account: ServiceAccount, clock: Clock, *times: float
) -> list[str]:
    names = []
    async with google.client() as client:
        fcm = FcmSender(client=client, account=account, api_url="https://fcm.test", clock=clock)
        for at in times:
            clock.now = at
            names.append(await fcm.send(PUSH))
    return names


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


async def test_sends_the_v1_message_with_an_access_token(account: ServiceAccount) -> None:
    google = Google()

    [name] = await send_all(google, account, Clock(0), 1_800_000_000)

    assert name == "projects/kosu-dukkani/messages/0:1500415314455276%31bd"
    [send] = google.sends
    assert send.method == "POST"
    assert send.headers["Authorization"] == "Bearer tok-1"
    assert json_body(send) == {
        "message": {
            "token": "device-token-1",
            "notification": {
                "title": "Sepetin seni bekliyor",
                "body": "Koşu Ayakkabısı hâlâ sepetinde",
            },
            "data": {
                "shop": "demo_shop",
                "message_id": "p1",
                "cartnudge_key": PUSH.idempotency_key,
                "url": "https://cartnudge.test/l/abc",
            },
            "android": {"collapse_key": TAG, "notification": {"tag": TAG}},
            "apns": {"headers": {"apns-collapse-id": TAG}},
            "webpush": {
                "headers": {"Topic": TAG},
                "notification": {"tag": TAG},
                "fcm_options": {"link": "https://cartnudge.test/l/abc"},
            },
        }
    }


async def test_the_token_request_carries_a_jwt_signed_by_the_service_account(
    account: ServiceAccount, private_key: rsa.RSAPrivateKey
) -> None:
    google = Google()

    await send_all(google, account, Clock(0), 1_800_000_000.7)

    [token_request] = google.token_requests
    assert token_request.method == "POST"
    fields = {k: v for k, [v] in parse_qs(token_request.content.decode()).items()}
    assert fields["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    header, claims, signature = fields["assertion"].split(".")
    private_key.public_key().verify(
        b64decode(signature),
        f"{header}.{claims}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    assert json.loads(b64decode(header)) == {"alg": "RS256", "typ": "JWT", "kid": "key-1"}
    assert json.loads(b64decode(claims)) == {
        "iss": "cartnudge@kosu-dukkani.iam.gserviceaccount.com",
        "scope": "https://www.googleapis.com/auth/firebase.messaging",
        "aud": TOKEN_URI,
        "iat": 1_800_000_000,
        "exp": 1_800_003_600,
    }


async def test_the_jwt_of_another_key_does_not_verify(
    account: ServiceAccount, private_key: rsa.RSAPrivateKey
) -> None:
    google = Google()
    await send_all(google, account, Clock(0), 1_800_000_000)
    fields = parse_qs(google.token_requests[0].content.decode())
    header, claims, signature = fields["assertion"][0].split(".")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidSignature):
        stranger.public_key().verify(
            b64decode(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )


async def test_one_token_serves_sends_until_shortly_before_it_expires(
    account: ServiceAccount,
) -> None:
    google = Google()
    start = 1_800_000_000

    await send_all(google, account, Clock(0), start, start + 60, start + 3599 - 301)
    assert [r.headers["Authorization"] for r in google.sends] == ["Bearer tok-1"] * 3
    assert len(google.token_requests) == 1


async def test_concurrent_sends_share_one_token_request(account: ServiceAccount) -> None:
    google = Google()
    async with google.client() as client:
        fcm = FcmSender(
            client=client, account=account, api_url="https://fcm.test", clock=Clock(1_800_000_000)
        )
        await asyncio.gather(*(fcm.send(PUSH) for _ in range(3)))
    assert len(google.sends) == 3
    assert len(google.token_requests) == 1


async def test_a_token_about_to_expire_is_replaced(account: ServiceAccount) -> None:
    google = Google()
    start = 1_800_000_000

    await send_all(google, account, Clock(0), start, start + 3599 - 300, start + 3599 + 10)

    assert [r.headers["Authorization"] for r in google.sends] == [
        "Bearer tok-1",
        "Bearer tok-2",
        "Bearer tok-2",
    ]
    assert len(google.token_requests) == 2


async def test_a_refused_token_is_renewed_once_and_the_message_sent_again(
    account: ServiceAccount,
) -> None:
    google = Google(httpx.Response(401, json={"error": {"status": "UNAUTHENTICATED"}}), SENT)

    [name] = await send_all(google, account, Clock(0), 1_800_000_000)

    assert name.startswith("projects/kosu-dukkani/messages/")
    assert [r.headers["Authorization"] for r in google.sends] == ["Bearer tok-1", "Bearer tok-2"]


async def test_a_token_refused_twice_is_permanent(account: ServiceAccount) -> None:
    google = Google(httpx.Response(401, json={"error": {"status": "UNAUTHENTICATED"}}))

    with pytest.raises(PermanentChannelError, match="FCM: HTTP 401"):
        await send_all(google, account, Clock(0), 1_800_000_000)
    assert len(google.sends) == 2


def fcm_error(status: int, state: str, error_code: str | None = None) -> httpx.Response:
    error: dict[str, Any] = {"code": status, "message": "no", "status": state}
    if error_code:
        fcm = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
        error["details"] = [{"@type": fcm, "errorCode": error_code}]
    return httpx.Response(status, json={"error": error})


@pytest.mark.parametrize(
    ("reply", "error_type", "retry_after", "shown"),
    [
        (fcm_error(404, "NOT_FOUND", "UNREGISTERED"), PermanentChannelError, None, "UNREGISTERED"),
        (
            fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
            PermanentChannelError,
            None,
            "INVALID_ARGUMENT",
        ),
        (
            fcm_error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"),
            PermanentChannelError,
            None,
            "SENDER_ID_MISMATCH",
        ),
        (fcm_error(500, "INTERNAL"), TransientChannelError, None, "INTERNAL"),
        (
            httpx.Response(
                429, headers={"Retry-After": "7"}, json={"error": {"status": "RESOURCE_EXHAUSTED"}}
            ),
            TransientChannelError,
            7,
            "RESOURCE_EXHAUSTED",
        ),
        (httpx.ReadTimeout, TransientChannelError, None, "ReadTimeout"),
    ],
)
async def test_fcm_error_statuses_are_classified(
    account: ServiceAccount,
    reply: httpx.Response | type[httpx.TransportError],
    error_type: type[ChannelError],
    retry_after: float | None,
    shown: str,
) -> None:
    with pytest.raises(error_type, match=shown) as raised:
        await send_all(Google(reply), account, Clock(0), 1_800_000_000)
    assert getattr(raised.value, "retry_after", None) == retry_after


async def test_a_refused_service_account_is_permanent(account: ServiceAccount) -> None:
    refusal = httpx.Response(
        400, json={"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    )
    async with FakeApi(refusal).client() as client:
        fcm = FcmSender(client=client, account=account, clock=Clock(0))
        with pytest.raises(
            PermanentChannelError, match="Google OAuth: HTTP 400: Invalid JWT Signature."
        ):
            await fcm.send(PUSH)


def test_the_tag_is_stable_per_step_and_fits_every_platform() -> None:
    assert notification_tag(PUSH.idempotency_key) == TAG
    assert notification_tag("cart-demo_shop-c1:run-1:steps[4]") != TAG
    assert len(TAG.encode()) <= 32  # Web Push Topic: 32; APNs collapse id: 64


def test_a_repeat_replaces_the_notification_shown() -> None:
    assert FcmSender.repeat_is_harmless is True


def test_the_service_account_is_read_from_its_json_file(
    account: ServiceAccount, tmp_path: Path
) -> None:
    path = tmp_path / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "project_id": account.project_id,
                "client_email": account.client_email,
                "private_key": account.private_key,
                "private_key_id": "key-1",
                "token_uri": TOKEN_URI,
            }
        )
    )
    assert ServiceAccount.from_file(path) == account
    assert "PRIVATE KEY" not in repr(account)


def test_a_service_account_file_without_its_key_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks private_key"):
        ServiceAccount.from_info({"project_id": "p", "client_email": "e"})
