"""cartnudge's one settings object, read from `CARTNUDGE_*` environment variables.

Built once by `create_app()`, `worker.py` and the dev stack; never read at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Defaults that make the quick start work; production refuses them.
DEV_API_KEY = "dev-api-key-change-me"
DEV_SECRET_KEY = "dev-secret-key-change-me"


class Settings(BaseSettings):
    """Everything cartnudge can be told, each as `CARTNUDGE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="CARTNUDGE_", extra="ignore")

    environment: Literal["local", "production"] = "local"
    api_key: SecretStr = SecretStr(DEV_API_KEY)
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_KEY),
        description="Signs tracking links; at least 32 characters in production.",
    )
    database_url: str = "sqlite+aiosqlite:///data/cartnudge.db"
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
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

    @model_validator(mode="after")
    def refuse_placeholder_secrets(self) -> Self:
        if self.environment == "production":
            if self.api_key.get_secret_value() == DEV_API_KEY:
                raise ValueError("CARTNUDGE_API_KEY must be set in production")
            secret = self.secret_key.get_secret_value()
            if secret == DEV_SECRET_KEY or len(secret) < 32:
                raise ValueError(
                    "CARTNUDGE_SECRET_KEY must be set to at least 32 characters in production"
                )
        return self
