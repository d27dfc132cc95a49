"""Which channels can send, given the settings: what journeys are validated against.

A send step whose channels all lack a provider is refused; in a preference list the
channels without one are skipped when the message goes out.

- email: always (SMTP by default);
- sms: when CARTNUDGE_SMS_PROVIDER is twilio or netgsm;
- push: when CARTNUDGE_FCM_SERVICE_ACCOUNT_FILE is set;
- webhook: always: cartnudge posts the request itself (validation accepts webhook steps
  whatever the channels). Whether a step's `target` is one of CARTNUDGE_WEBHOOK_TARGETS
  is for the worker to check; validation does not see the settings.
"""

from __future__ import annotations

from settings import Settings
from workflows.payloads import Channel

# What a catalog is checked against when nobody says: no SMS or push provider.
DEFAULT_CHANNELS = frozenset({Channel.EMAIL, Channel.WEBHOOK})


def configured_channels(settings: Settings) -> frozenset[Channel]:
    channels = set(DEFAULT_CHANNELS)
    if settings.sms_provider != "none":
        channels.add(Channel.SMS)
    if settings.fcm_service_account_file is not None:
        channels.add(Channel.PUSH)
    return frozenset(channels)
