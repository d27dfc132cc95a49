"""Can this deployment send what a release sends? Checked before a release goes live.

A release was validated when it was published, perhaps against other settings: here its
send steps are held against the channels that have a provider now and the webhook targets
configured now. A release that fails can not be activated.
"""

from __future__ import annotations

from difflib import get_close_matches

from journey_schema.release import Release
from journey_schema.walk import send_steps
from workflows.payloads import Channel

# What to configure so a channel gets a provider.
HOW_TO_CONFIGURE = {
    Channel.SMS: "set CARTNUDGE_SMS_PROVIDER (twilio or netgsm) and its credentials",
    Channel.PUSH: "set CARTNUDGE_FCM_SERVICE_ACCOUNT_FILE",
    Channel.EMAIL: "set CARTNUDGE_EMAIL_PROVIDER",
}


def deployment_problems(
    release: Release, *, channels: frozenset[Channel], webhook_targets: frozenset[str]
) -> list[str]:
    """Why this deployment can not run the release, one line per send step; [] if it can."""
    problems = []
    for path, step in send_steps(release.definition.steps):
        send = step.send
        if Channel.WEBHOOK in send.channels:
            target = send.target or ""
            if target not in webhook_targets:
                problems.append(f"{path}: {_unknown_target(target, webhook_targets)}")
            continue
        if not any(channel in channels for channel in send.channels):
            missing = [channel for channel in send.channels if channel not in channels]
            how = "; ".join(HOW_TO_CONFIGURE.get(channel, "") for channel in missing)
            names = " or ".join(channel.value for channel in missing)
            problems.append(
                f"{path}: message {send.id or path} goes out by {names}, and this deployment "
                f"has no provider for it ({how})"
            )
    return problems


def _unknown_target(target: str, targets: frozenset[str]) -> str:
    configured = ", ".join(sorted(targets)) or "none"
    guess = get_close_matches(target, sorted(targets), n=1)
    hint = f" Did you mean {guess[0]!r}?" if guess else ""
    return (
        f"webhook target {target!r} is not configured in CARTNUDGE_WEBHOOK_TARGETS "
        f"(configured: {configured}).{hint}"
    )
