"""What a deployment can send, given its settings: what journeys are validated against.

`capabilities_of(settings)` is the one place that reads this from the settings:

- channels: email always (SMTP by default); sms when CARTNUDGE_SMS_PROVIDER is twilio or
  netgsm; push when CARTNUDGE_FCM_SERVICE_ACCOUNT_FILE is set; webhook always: cartnudge
  posts the request itself. A send step whose channels all lack a provider is refused; in
  a preference list the channels without one are skipped when the message goes out;
- webhook targets: the names in CARTNUDGE_WEBHOOK_TARGETS. A webhook step's `target` must
  be one of them. None (in a Capabilities built without settings: an editor, a test)
  means the targets are not checked;
- public URL: CARTNUDGE_PUBLIC_URL, where SMS and push short links point, so an SMS is
  measured with the links it is sent with. None when it is not set (the default, a
  laptop's localhost, is shorter than any shop's domain) or without settings: validation
  then measures with a stand-in of realistic length (tracking/short_links.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from settings import Settings
from workflows.payloads import Channel

# What a catalog is checked against when nobody says: no SMS or push provider.
DEFAULT_CHANNELS = frozenset({Channel.EMAIL, Channel.WEBHOOK})


@dataclass(frozen=True)
class Capabilities:
    """The channels with a provider, the webhook targets (None: not checked), and where
    links point (None: not known)."""

    channels: frozenset[Channel]
    webhook_targets: frozenset[str] | None
    public_url: str | None = None


def capabilities_of(settings: Settings) -> Capabilities:
    channels = set(DEFAULT_CHANNELS)
    if settings.sms_provider != "none":
        channels.add(Channel.SMS)
    if settings.fcm_service_account_file is not None:
        channels.add(Channel.PUSH)
    configured_url = "public_url" in settings.model_fields_set
    return Capabilities(
        channels=frozenset(channels),
        webhook_targets=frozenset(settings.webhook_targets),
        public_url=settings.public_url if configured_url else None,
    )


def configured_channels(settings: Settings) -> frozenset[Channel]:
    """The channels of `capabilities_of(settings)` (for callers that need only those)."""
    return capabilities_of(settings).channels
