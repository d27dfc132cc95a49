"""cartnudge's one settings object, read from `CARTNUDGE_*` environment variables.

Built once by `create_app()`, `worker.py` and the dev stack; never read at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Defaults that make the quick start work; production refuses them.
DEV_SECRET_KEY = "dev-secret-key-change-me"


class WebhookTarget(BaseModel):
    """Where a journey's webhook step POSTs, and how."""

    url: str
    # Signs the body (X-Cartnudge-Signature: sha256=<hex HMAC>); required for "json".
    secret: SecretStr | None = None
    format: Literal["json", "slack"] = "json"


class Settings(BaseSettings):
    """Everything cartnudge can be told, each as `CARTNUDGE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="CARTNUDGE_", extra="ignore")

    environment: Literal["local", "production"] = "local"
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_KEY),
        description="Signs tracking links; at least 32 characters in production.",
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
    def refuse_placeholder_secrets(self) -> Self:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEV_SECRET_KEY or len(secret) < 32:
                raise ValueError(
                    "CARTNUDGE_SECRET_KEY must be set to at least 32 characters in production"
                )
        return self
