"""The links a rendered message carries, already wrapped for click and open tracking."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class MessageLinks(BaseModel):
    """Tracked URLs handed to templates; plain URLs when tracking is off (previews, tests)."""

    model_config = ConfigDict(frozen=True)

    checkout_url: str
    item_urls: dict[str, str] = {}  # sku -> tracked product URL
    open_pixel_url: str | None = None
    unsubscribe_url: str | None = None  # email: the page that unsubscribes this address
