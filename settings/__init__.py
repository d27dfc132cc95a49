"""cartnudge's one settings object, read from `CARTNUDGE_*` environment variables.

Built once by `create_app()`, `worker.py` and the dev stack; never read at import time.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Defaults that make the quick start work; production refuses them.
DEV_SECRET_KEY = "dev-secret-key-change-me"
# base64 of b"cartnudge-dev-data-key-not-safe!": anyone can read what it encrypts.
DEV_DATA_AT_REST_KEY = "Y2FydG51ZGdlLWRldi1kYXRhLWtleS1ub3Qtc2FmZSE="
DATA_KEY_BYTES = 32  # AES-256
NEW_DATA_KEY_HINT = (
    'make a key with `cartnudge secrets new-key` (or python -c "import os,base64;'
    'print(base64.b64encode(os.urandom(32)).decode())") and set'
    """ CARTNUDGE_DATA_AT_REST_KEYS='[{"id": "k1", "key": "<the key>"}]'"""
)
# base64 of b"cartnudge-dev-payload-key-unsafe": the quick start's Temporal payloads.
DEV_PAYLOAD_KEY = "Y2FydG51ZGdlLWRldi1wYXlsb2FkLWtleS11bnNhZmU="
NEW_PAYLOAD_KEY_HINT = (
    "make a key with `cartnudge secrets new-key` and set"
    """ CARTNUDGE_PAYLOAD_KEYS='[{"id": "k1", "key": "<the key>"}]'"""
)


class DataKey(BaseModel):
    """One key for data at rest (shops' credentials in the database): an id stored beside
    each value it encrypts, and 32 random bytes, base64."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    key: SecretStr

    @field_validator("key")
    @classmethod
    def is_32_bytes(cls, key: SecretStr) -> SecretStr:
        try:
            raw = base64.b64decode(key.get_secret_value(), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the key is not base64") from None
        if len(raw) != DATA_KEY_BYTES:
            raise ValueError(f"the key is {len(raw)} bytes; it must be {DATA_KEY_BYTES}")
        return key

    def secret(self) -> bytes:
        return base64.b64decode(self.key.get_secret_value(), altchars=b"-_")


class WebhookTarget(BaseModel):
    """Where a journey's webhook step POSTs, and how."""

    url: str
    # Signs the body (X-Cartnudge-Signature: sha256=<hex HMAC>); required for "json".
    secret: SecretStr | None = None
    format: Literal["json", "slack"] = "json"


def dev_data_keys() -> list[DataKey]:
    """The quick start's and the tests' keys for data at rest; production refuses them."""
    return [DataKey(id="dev", key=SecretStr(DEV_DATA_AT_REST_KEY))]


def dev_payload_keys() -> list[DataKey]:
    """The quick start's key for Temporal payloads, so `make run` encrypts as production
    does; production refuses it."""
    return [DataKey(id="dev", key=SecretStr(DEV_PAYLOAD_KEY))]


class Settings(BaseSettings):
    """Everything cartnudge can be told, each as `CARTNUDGE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="CARTNUDGE_", extra="ignore")

    environment: Literal["local", "production"] = "local"
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_KEY),
        description="Signs tracking links; at least 32 characters in production.",
    )
    data_at_rest_keys: list[DataKey] = Field(
        default_factory=dev_data_keys,
        description='JSON: [{"id": "k2", "key": "<base64 of 32 bytes>"}, {"id": "k1", ...}].'
        " Encrypts shops' credentials in the database (AES-256-GCM): the first key encrypts,"
        " every listed key decrypts. Not the Temporal payload keys.",
    )
    database_url: str = "sqlite+aiosqlite:///data/cartnudge.db"
    database_pool_size: int = Field(
        default=20,
        ge=1,
        description="PostgreSQL connections the API keeps open per process; a burst may"
        " open 10 more, closed again after it.",
    )
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_ui_url: str = Field(
        default="http://localhost:8233",
        description="The Temporal UI engineers open: reports and the dashboard link each "
        "cart's journey there.",
    )
    task_queue: str = "cartnudge"
    smtp_url: str = Field(
        default="smtp://localhost:1025",
        description="smtp://[user:password@]host:port, or smtps:// for implicit TLS.",
    )
    mail_from: str = "cartnudge <shop@localhost>"
    public_url: str = Field(
        default="http://localhost:8000",
        description="Where customers reach the API: tracking pixels and links point here.",
    )
    journeys_dir: Path = Path("journeys")
    default_journey: str = "abandoned_cart"
    rejoin_cooldown_hours: int = Field(
        default=168,
        ge=0,
        description="A cart whose journey ended without purchase may start again after this.",
    )
    shop_timezone: str = Field(
        default="UTC",
        description="Quiet hours use the customer's timezone, else this one (IANA name).",
    )

    # --- email ---
    email_provider: Literal["smtp", "sendgrid", "postmark"] = "smtp"
    sendgrid_api_key: SecretStr | None = None
    sendgrid_api_url: str = "https://api.sendgrid.com"
    # SendGrid's Event Webhook verification key (base64 DER public key, from its settings).
    sendgrid_webhook_public_key: str | None = None
    postmark_server_token: SecretStr | None = None
    postmark_api_url: str = "https://api.postmarkapp.com"
    # Basic-auth credentials set in Postmark's webhook URL (https://user:password@...).
    postmark_webhook_user: str | None = None
    postmark_webhook_password: SecretStr | None = None

    # --- SMS ---
    sms_provider: Literal["none", "twilio", "netgsm"] = "none"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None  # also verifies X-Twilio-Signature
    twilio_from: str | None = Field(default=None, description="Sender number or Messaging SID")
    twilio_api_url: str = "https://api.twilio.com"
    netgsm_usercode: str | None = None
    netgsm_password: SecretStr | None = None
    netgsm_header: str | None = Field(default=None, description="Approved sender name (msgheader)")
    netgsm_api_url: str = "https://api.netgsm.com.tr"

    # --- push ---
    # Firebase service-account JSON file; push is off without it.
    fcm_service_account_file: Path | None = None
    fcm_api_url: str = "https://fcm.googleapis.com"

    # --- webhooks (CRM hand-off, staff alerts) ---
    webhook_targets: dict[str, WebhookTarget] = Field(
        default_factory=dict,
        description='JSON: {"crm": {"url": "...", "secret": "..."}, '
        '"staff": {"url": "https://hooks.slack.com/...", "format": "slack"}}',
    )

    # --- consent and frequency ---
    # Optional consent registry (e.g. Turkey's İYS) asked before commercial email and SMS.
    consent_registry_url: str | None = None
    consent_registry_token: SecretStr | None = None
    consent_registry_cache_hours: float = Field(default=24, ge=0)
    email_cap_hours: float = Field(default=16, ge=0, description="At most 1 email per this long")
    sms_cap_hours: float = Field(default=24, ge=0, description="At most 1 SMS per this long")
    push_cap_hours: float = Field(default=12, ge=0, description="At most 1 push per this long")

    # --- intake limits (api/body_limit.py, api/rate_limit.py, api/idempotency.py) ---
    max_body_bytes: int = Field(
        # Platform webhooks are the largest bodies: a Shopify order of 250 line items is
        # several hundred KiB, and a purchase refused with 413 would never reach us.
        default=1024 * 1024,
        ge=1,
        description="A request body above this many bytes gets 413, on every route.",
    )
    rate_limit_per_second: float = Field(
        default=500,
        ge=0,
        description="Requests per second each API key may make, sustained (per API process;"
        " 0 = no limit). Above it: 429 with Retry-After.",
    )
    rate_limit_burst: int = Field(
        default=1000,
        ge=1,
        description="Requests an API key may make at once before the per-second rate applies.",
    )
    api_key_cache_seconds: float = Field(
        default=10,
        ge=0,
        description="An API process remembers a valid key this long (api/known_keys.py): a"
        " revoked key stops working within it. 0 looks every key up.",
    )
    idempotency_hours: float = Field(
        default=24,
        gt=0,
        description="An Idempotency-Key's answer is replayed for this long; after it the key"
        " may be used again for a new request.",
    )
    idempotency_in_progress_seconds: float = Field(
        default=60,
        gt=0,
        description="A request with an Idempotency-Key still unanswered after this long is"
        " taken to have died with its process; a retry with the key runs again.",
    )

    # --- Temporal payloads: encryption and the UI's codec server (temporal_payloads/) ---
    payload_keys: list[DataKey] = Field(
        default_factory=dev_payload_keys,
        description='JSON: [{"id": "k2", "key": "<base64 of 32 bytes>"}, {"id": "k1", ...}].'
        " Encrypts every payload cartnudge gives Temporal (carts, customers, activity"
        " results, failure messages) with AES-256-GCM: the first key encrypts, every listed"
        " key decrypts, so a key rotates without breaking running carts. [] stores them in"
        " plaintext. Not the data-at-rest keys.",
    )

    codec_token: SecretStr | None = Field(
        default=None,
        description="Bearer token the codec server (/codec/encode, /codec/decode) requires."
        " Without it the codec answers 403 in production and, locally, this machine only.",
    )

    # --- metrics, traces and logs (observability/) ---
    worker_metrics_address: str | None = Field(
        default=None,
        description="IP:port where the worker serves Prometheus metrics (the Temporal SDK's"
        " and cartnudge's own, at /metrics), e.g. 0.0.0.0:9464; none when unset.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, the API's GET /metrics wants Authorization: Bearer <it>;"
        " unset, /metrics is open (it names no customer, but block it at the proxy).",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector base URL (e.g. http://otel-collector:4318): traces"
        " from the API and the worker go there; tracing is off when unset.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="json: one JSON object per line (time, level, logger, message, exception;"
        " workflow_id and run_id from activities), for a log collector.",
    )

    @field_validator(
        "worker_metrics_address", "metrics_token", "otlp_endpoint", "codec_token", mode="before"
    )
    @classmethod
    def empty_is_unset(cls, value: object) -> object:
        # docker-compose passes `${CARTNUDGE_METRICS_TOKEN:-}` as "" when .env has none
        return None if value == "" else value

    @field_validator("worker_metrics_address")
    @classmethod
    def is_host_and_port(cls, address: str | None) -> str | None:
        if address is None:
            return None
        host, _, port = address.rpartition(":")
        try:
            ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
        except ValueError:
            host = ""
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(
                f"CARTNUDGE_WORKER_METRICS_ADDRESS={address!r} is not an IP address and a port,"
                " e.g. 0.0.0.0:9464 (every interface) or 127.0.0.1:9464"
            )
        return address

    # --- failing fast while a dependency is down (intake/, api/routes/health.py) ---
    fail_fast_seconds: float = Field(
        default=5,
        ge=0,
        description="Once a call finds Temporal or the database down, the API answers 503"
        " (Retry-After) at once for this many seconds without calling it; then one request"
        " tries it again and, if it answers, intake resumes. 0 calls it every time.",
    )
    temporal_call_timeout_seconds: float = Field(
        default=1,
        gt=0,
        description="The longest an intake request waits on one Temporal call (the SDK's own"
        " retries included) before answering 503 with Retry-After.",
    )

    # --- messages cut off mid-send, settled from the provider's events (sending/) ---
    provider_silence_minutes: float = Field(
        default=10,
        gt=0,
        description="A send cut off mid-delivery (the worker died, or the provider's answer"
        " was lost) through a provider that reports events (SendGrid, Postmark, Twilio) waits"
        " this many minutes for an event about it; none in that time means the provider never"
        " had it, and it is sent again, once.",
    )
    send_journal_dir: Path | None = Field(
        default=None,
        description="A directory the worker keeps across restarts (a volume): it notes which"
        " SMTP messages were handed over, so a send cut off by a crash before its final '.'"
        " is sent again instead of left uncertain. Unset: such a send stays uncertain.",
    )

    # --- worker capacity (docs/SCALING.md) ---
    worker_max_concurrent_activities: int = Field(
        default=100,
        ge=1,
        description="Activities (sends, order lookups) one worker process runs at once; the"
        " SDK's default. Raise it with the database pool and the provider's rate limits.",
    )
    worker_max_concurrent_workflow_tasks: int = Field(
        default=100,
        ge=2,  # the SDK needs two while it caches workflows (one may wait on the other)
        description="Workflow tasks one worker process runs at once; the SDK's default.",
    )
    worker_max_cached_workflows: int = Field(
        default=1000,
        ge=0,
        description="Carts' workflows one worker process keeps in memory between their"
        " tasks; the SDK's default. A cart not cached is replayed from its history when it"
        " wakes: fewer cached, less memory, more replays.",
    )

    @model_validator(mode="after")
    def providers_are_complete(self) -> Self:
        """A selected provider without its credentials fails at start, naming the setting."""
        required = {
            ("email_provider", "sendgrid"): ["sendgrid_api_key"],
            ("email_provider", "postmark"): ["postmark_server_token"],
            ("sms_provider", "twilio"): ["twilio_account_sid", "twilio_auth_token", "twilio_from"],
            ("sms_provider", "netgsm"): ["netgsm_usercode", "netgsm_password", "netgsm_header"],
        }
        for (choice, value), fields in required.items():
            if getattr(self, choice) != value:
                continue
            missing = [f"CARTNUDGE_{name.upper()}" for name in fields if not getattr(self, name)]
            if missing:
                raise ValueError(
                    f"CARTNUDGE_{choice.upper()}={value} needs {', '.join(missing)} to be set"
                )
        for name, target in self.webhook_targets.items():
            if target.format == "json" and target.secret is None:
                raise ValueError(f"webhook target {name!r} needs a secret to sign its requests")
        return self

    @model_validator(mode="after")
    def data_keys_are_usable(self) -> Self:
        if not self.data_at_rest_keys:
            raise ValueError(f"CARTNUDGE_DATA_AT_REST_KEYS lists no key: {NEW_DATA_KEY_HINT}")
        _each_key_id_once(self.data_at_rest_keys, "CARTNUDGE_DATA_AT_REST_KEYS")
        _each_key_id_once(self.payload_keys, "CARTNUDGE_PAYLOAD_KEYS")
        return self

    @model_validator(mode="after")
    def refuse_placeholder_secrets(self) -> Self:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEV_SECRET_KEY or len(secret) < 32:
                raise ValueError(
                    "CARTNUDGE_SECRET_KEY must be set to at least 32 characters in production"
                )
            dev_key = base64.b64decode(DEV_DATA_AT_REST_KEY)
            if any(key.secret() == dev_key for key in self.data_at_rest_keys):
                raise ValueError(
                    "CARTNUDGE_DATA_AT_REST_KEYS must be set in production (it holds the"
                    f" development key, which anyone can read): {NEW_DATA_KEY_HINT}"
                )
            dev_payload_key = base64.b64decode(DEV_PAYLOAD_KEY)
            if any(key.secret() == dev_payload_key for key in self.payload_keys):
                raise ValueError(
                    "CARTNUDGE_PAYLOAD_KEYS must be set in production (it holds the development"
                    f" key, which anyone can read): {NEW_PAYLOAD_KEY_HINT}; or [] to store"
                    " Temporal payloads in plaintext"
                )
        return self


def _each_key_id_once(keys: list[DataKey], setting: str) -> None:
    ids = [key.id for key in keys]
    twice = sorted({key_id for key_id in ids if ids.count(key_id) > 1})
    if twice:
        raise ValueError(f"{setting} lists key id {twice[0]!r} twice")
