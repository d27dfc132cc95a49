"""A persona's timeline: what its carts' journeys did and what the customer did, in order.

`format_timeline` writes it as text that reads the same on every run (times relative to
the first abandonment and on the customer's clock, never this machine's), so two versions'
timelines compare line by line (`journeys diff`) and golden files stay put.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from workflows.payloads import Channel, Outcome


class EntryKind(StrEnum):
    ABANDONED = "abandoned"  # the cart counted as abandoned: the journey begins
    SENT = "sent"
    DEFERRED = "deferred"  # quiet hours or a frequency cap: tried again later
    SKIPPED = "skipped"  # no channel reaches the customer, or capped with `when_capped: skip`
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    BOUGHT = "bought"  # the order check before the send found the order: nothing sent
    HELD_OUT = "held_out"  # in the journey's holdout: nothing is sent to this cart
    SPLIT = "split"  # the cart reached a split and took one of its arms
    CUSTOMER = "customer"  # something the customer (or the shop for them) did
    OUTCOME = "outcome"  # how the cart's journey ended


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime  # UTC, on the simulation's clock
    cart: int | None  # 1 for the persona's first cart; None: not about one cart
    kind: EntryKind
    step: str | None = None  # steps[2].else[0]
    channels: list[Channel] = []  # the channel used, or the step's preference when none was
    message_id: str | None = None
    template: str | None = None  # the template, or a webhook's target
    subject: str | None = None  # email subject or push title, as composed
    reason: str | None = None  # why deferred, skipped, failed
    text: str | None = None  # the customer's action, the abandonment, the holdout
    outcome: Outcome | None = None
    experiment: str | None = None  # a split's experiment
    arm: str | None = None  # the arm the cart took there


class Timeline(BaseModel):
    model_config = ConfigDict(frozen=True)

    persona: str
    description: str
    journey: str
    version: int
    release: str  # the release's id (its content's hash)
    abandoned_at: datetime  # the persona's first cart's abandonment: time 0
    timezone: str  # the customer's clock: their timezone, else the shop's
    caps: dict[Channel, timedelta]  # the frequency caps the simulation ran with
    # Every wait of the journey and the persona is a multiple of this (at most 1 minute):
    # times are floored to it, so the real milliseconds each step takes never show.
    resolution: timedelta
    entries: list[TimelineEntry]
    outcomes: list[Outcome]  # per cart, in order

    @property
    def outcome(self) -> Outcome:
        """The first cart's outcome."""
        return self.outcomes[0]


def format_timeline(timeline: Timeline) -> str:
    """The timeline as text, one line per event; the same on every run."""
    zone = ZoneInfo(timeline.timezone)
    start = timeline.abandoned_at.astimezone(zone)
    caps = ", ".join(
        f"{channel} 1 per {_span(window)}" for channel, window in timeline.caps.items() if window
    )
    header = [
        f"persona {timeline.persona}: {timeline.description}",
        f"journey {timeline.journey} v{timeline.version}; abandoned {start:%a %H:%M}"
        f" on the customer's clock ({timeline.timezone}); caps: {caps or 'none'}",
        "",
    ]
    seconds = timeline.resolution < timedelta(minutes=1)
    lines = [
        f"  {_elapsed(_since(timeline, entry), seconds):>12}"
        f"  {_clock(timeline.abandoned_at + _since(timeline, entry), zone, seconds)}"
        f"  {f'cart {entry.cart}' if entry.cart else '':6}  {_what(entry, zone)}".rstrip()
        for entry in timeline.entries
    ]
    return "\n".join(header + lines) + "\n"


def _what(entry: TimelineEntry, zone: ZoneInfo) -> str:
    if entry.kind == EntryKind.ABANDONED:
        return f"abandoned{f' ({entry.text})' if entry.text else ''}"
    if entry.kind == EntryKind.CUSTOMER:
        return entry.text or ""
    if entry.kind == EntryKind.OUTCOME:
        return f"outcome: {entry.outcome}{f' ({entry.text})' if entry.text else ''}"
    if entry.kind == EntryKind.HELD_OUT:
        return f"held out: nothing is sent{f' ({entry.text})' if entry.text else ''}"
    if entry.kind == EntryKind.SPLIT:
        why = f" ({entry.text})" if entry.text else ""
        return f"{entry.step}  split {entry.experiment}  arm {entry.arm}{why}"
    channels = " or ".join(entry.channels)
    message = " ".join(part for part in (channels, entry.message_id, entry.template) if part)
    what = f"{entry.step}  {message}  {entry.kind}"
    if entry.kind == EntryKind.SENT:
        return f"{what} {entry.subject!r}" if entry.subject else what
    if entry.kind == EntryKind.BOUGHT:
        return f"{entry.step}  {message}  not sent: {entry.reason}"
    return f"{what}: {_on_the_clock(entry.reason, zone)}" if entry.reason else what


# The send policy's reasons end in the instant a deferral ends ("...; deferred to
# 2100-06-22T09:00+00:00"); the timeline says it on the customer's clock, like every line.
_DEFERRED_TO = re.compile(r"; deferred to (\S+)$")


def _on_the_clock(reason: str, zone: ZoneInfo) -> str:
    found = _DEFERRED_TO.search(reason)
    if found is None:
        return reason
    until = datetime.fromisoformat(found.group(1)).astimezone(zone)
    return f"{reason[: found.start()]}; until {until:%a %H:%M}"


def _since(timeline: Timeline, entry: TimelineEntry) -> timedelta:
    """Since the abandonment, floored to the resolution: a step runs some real
    milliseconds after its timer (more on a busy machine), never before."""
    unit = timeline.resolution.total_seconds()
    since = (entry.at - timeline.abandoned_at).total_seconds()
    return timedelta(seconds=math.floor(since / unit) * unit)


def _elapsed(since: timedelta, seconds: bool) -> str:
    floored = int(since.total_seconds())
    sign = "-" if floored < 0 else "+"
    total = abs(floored)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02}:{minutes:02}" + (f":{secs:02}" if seconds else "")
    return f"{sign}{days}d {clock}"


def _clock(at: datetime, zone: ZoneInfo, seconds: bool) -> str:
    return at.astimezone(zone).strftime("%a %H:%M:%S" if seconds else "%a %H:%M")


def _span(window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    return f"{hours:g}h"
