"""Can this deployment send what a release sends? Checked before a release goes live.

A release was validated when it was published, perhaps against other settings: here its
send steps are held against what the deployment configures now (journey_schema.providers
`Capabilities`), in the same words validation uses. A release that fails can not be
activated.
"""

from __future__ import annotations

from journey_schema.providers import Capabilities
from journey_schema.release import Release
from journey_schema.validation import target_problem, unavailable_channels
from journey_schema.walk import send_steps
from workflows.payloads import Channel

# What to configure so a channel gets a provider.
HOW_TO_CONFIGURE = {
    Channel.SMS: "set CARTNUDGE_SMS_PROVIDER (twilio or netgsm) and its credentials",
    Channel.PUSH: "set CARTNUDGE_FCM_SERVICE_ACCOUNT_FILE",
    Channel.EMAIL: "set CARTNUDGE_EMAIL_PROVIDER",
}


def deployment_problems(release: Release, capabilities: Capabilities) -> list[str]:
    """Why this deployment can not run the release, one line per send step; [] if it can."""
    problems = []
    targets = capabilities.webhook_targets or frozenset()
    for path, step in send_steps(release.definition.steps):
        channels = step.send.channels
        target = target_problem(channels, step.send.target, targets)
        if target:
            problems.append(f"{path}.send.target: {target}")
        elif Channel.WEBHOOK not in channels and not any(
            channel in capabilities.channels for channel in channels
        ):
            how = "; ".join(HOW_TO_CONFIGURE.get(channel, "") for channel in channels)
            problems.append(f"{path}.send.channel: {unavailable_channels(channels)} ({how})")
    return problems
