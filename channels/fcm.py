"""Push notifications through Firebase Cloud Messaging's HTTP v1 API.

Authorisation is a Google OAuth2 access token for the project's service account: a JWT
signed (RS256) with the account's private key is exchanged at its `token_uri`
(grant type jwt-bearer, scope firebase.messaging). The token is kept until shortly before it
expires, and fetched anew once when FCM answers 401 anyway.

POST /v1/projects/{project_id}/messages:send answers 200 with the message `name`. A token
that is no longer registered comes back as 404 UNREGISTERED, a malformed one as 400
INVALID_ARGUMENT: both permanent by their status, as the shared HTTP rules have it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from channels.errors import TransientChannelError
from channels.http_errors import json_object, post, raise_for_status
from channels.outgoing import PushOut

PROVIDER = "FCM"
TOKEN_PROVIDER = "Google OAuth"
DEFAULT_API_URL = "https://fcm.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600  # the longest Google accepts
# A token this close to its expiry is replaced, so none expires on its way to FCM.
REFRESH_MARGIN = 300


@dataclass(frozen=True)
class ServiceAccount:
    """The fields of a Google service-account JSON key file that FCM needs."""

    project_id: str
    client_email: str
    private_key: str = field(repr=False)  # PEM
    token_uri: str = "https://oauth2.googleapis.com/token"
    private_key_id: str | None = None

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> ServiceAccount:
        missing = [
            name for name in ("project_id", "client_email", "private_key") if not info.get(name)
        ]
        if missing:
            raise ValueError(f"service account JSON lacks {', '.join(missing)}")
        return cls(
            project_id=info["project_id"],
            client_email=info["client_email"],
            private_key=info["private_key"],
            token_uri=info.get("token_uri") or cls.token_uri,
            private_key_id=info.get("private_key_id"),
        )

    @classmethod
    def from_file(cls, path: Path) -> ServiceAccount:
        return cls.from_info(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class _AccessToken:
    value: str
    refresh_at: float


class FcmSender:
    # Every message carries a tag derived from its idempotency key (Android notification tag,
    # APNs collapse id, Web Push Topic and tag): a second delivery of the same step replaces
    # the notification already shown instead of adding one, so a repeat shows it only once.
    repeat_is_harmless = True
    reports_events = False

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        account: ServiceAccount,
        api_url: str = DEFAULT_API_URL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._account = account
        self._key = _load_private_key(account.private_key)  # a broken key fails at start-up
        self._url = f"{api_url.rstrip('/')}/v1/projects/{account.project_id}/messages:send"
        self._clock = clock
        self._token: _AccessToken | None = None
        self._token_lock = asyncio.Lock()

    async def send(self, message: PushOut) -> str:
        """Hand the notification to FCM; return the message name. Raises ChannelError."""
        body = {"message": fcm_message(message)}
        token = await self._access_token()
        response = await self._post_message(body, token)
        if response.status_code == httpx.codes.UNAUTHORIZED:
            # revoked or expired early: one fresh token, then the answer stands
            if self._token is not None and self._token.value == token:  # not renewed meanwhile
                self._token = None
            response = await self._post_message(body, await self._access_token())
        raise_for_status(PROVIDER, response, detail=_error_text(response))
        return str(json_object(response).get("name", ""))

    async def _post_message(self, body: dict[str, Any], token: str) -> httpx.Response:
        return await post(
            self._client,
            PROVIDER,
            self._url,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def _access_token(self) -> str:
        async with self._token_lock:  # concurrent sends share one token request
            if self._token is None or self._clock() >= self._token.refresh_at:
                self._token = await self._fetch_token()
            return self._token.value

    async def _fetch_token(self) -> _AccessToken:
        now = self._clock()
        assertion = jwt_assertion(self._account, self._key, issued_at=int(now))
        response = await post(
            self._client,
            TOKEN_PROVIDER,
            self._account.token_uri,
            data={"grant_type": JWT_BEARER, "assertion": assertion},
        )
        answer = json_object(response)
        description = answer.get("error_description") or answer.get("error")
        raise_for_status(TOKEN_PROVIDER, response, detail=str(description) if description else None)
        if not answer.get("access_token"):
            raise TransientChannelError(f"{TOKEN_PROVIDER}: token answer without access_token")
        expires_in = float(answer.get("expires_in", ASSERTION_LIFETIME))
        return _AccessToken(
            str(answer["access_token"]), refresh_at=now + expires_in - REFRESH_MARGIN
        )


def jwt_assertion(account: ServiceAccount, key: rsa.RSAPrivateKey, *, issued_at: int) -> str:
    """The signed JWT (RS256) a service account trades for an access token."""
    header = {"alg": "RS256", "typ": "JWT"}
    if account.private_key_id:
        header["kid"] = account.private_key_id
    claims = {
        "iss": account.client_email,
        "scope": SCOPE,
        "aud": account.token_uri,
        "iat": issued_at,
        "exp": issued_at + ASSERTION_LIFETIME,
    }
    signing_input = f"{_b64_json(header)}.{_b64_json(claims)}".encode("ascii")
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode('ascii')}.{_b64(signature)}"


def notification_tag(idempotency_key: str) -> str:
    """Stable per journey step; 32 hex characters fit every platform's limit (Topic: 32)."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def fcm_message(push: PushOut) -> dict[str, Any]:
    """The v1 `message` for one device."""
    tag = notification_tag(push.idempotency_key)
    # FCM data values must be strings, as these are; the key finds the message again
    data = {**push.metadata, "cartnudge_key": push.idempotency_key}
    if push.url:
        data["url"] = push.url
    webpush: dict[str, Any] = {"headers": {"Topic": tag}, "notification": {"tag": tag}}
    if push.url and push.url.startswith("https://"):  # FCM refuses a non-HTTPS link
        webpush["fcm_options"] = {"link": push.url}
    message: dict[str, Any] = {
        "token": push.token,
        "notification": {"title": push.title, "body": push.body},
        "android": {"collapse_key": tag, "notification": {"tag": tag}},
        "apns": {"headers": {"apns-collapse-id": tag}},
        "webpush": webpush,
    }
    if data:
        message["data"] = data
    return message


def _error_text(response: httpx.Response) -> str | None:
    # {"error": {"code": 404, "message": "...", "status": "NOT_FOUND",
    #            "details": [{"@type": "...FcmError", "errorCode": "UNREGISTERED"}]}}
    error = json_object(response).get("error")
    if not isinstance(error, dict):
        return None
    codes = [
        detail["errorCode"]
        for detail in error.get("details") or []
        if isinstance(detail, dict) and "errorCode" in detail
    ]
    reason = codes[0] if codes else error.get("status", "")
    return f"{reason}: {error.get('message', '')}"


def _load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("service account private_key is not an RSA key")
    return key


def _b64_json(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
