"""Preview: every message a journey version can send, rendered for one cart, into a folder.

`cartnudge journeys preview NAME VERSION --out DIR` writes each part of every message on
every channel its step may use (email subject, HTML and text; SMS; push title and text; a
webhook's JSON body) and an `index.html` listing them by step path and branch.

Messages are rendered by the send path itself (`sending.composition.Composer`) with
tracked links to the deployment's public URL (an SMS's and a push's short links too), so
links have their real length and an SMS counts the segments it would be billed for. The
links are signed with a preview key, not the deployment's secret: a token's length does
not depend on the key, and the deployment refuses them (a preview stores no short link,
so its short links are unknown there), so opening a preview never counts an open or a
click, and its unsubscribe link never unsubscribes the (real) customer of a given cart.

The cart is the one given (the body of `PUT /v1/carts/{id}`, mapped by intake/mapping.py
as the API maps it) or a sample in the customer's language.

    Exception
     └── PreviewError   a journey, version, cart or folder that can not be previewed
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from channels.outgoing import EmailOut, PushOut, SmsOut, WebhookOut
from channels.slack import slack_message
from contract.carts import CartSnapshot
from intake.mapping import cart_payload
from journey_schema.durations import format_duration
from journey_schema.models import BranchStep, SendStep, SplitSpec, SplitStep, Step, WaitForStep
from journey_schema.percent import format_percent
from journey_schema.providers import configured_channels
from journey_schema.release import Release
from journey_schema.walk import arm_path
from rendering.context import sample_live
from rendering.environment import create_environment
from rendering.formatting import format_money
from rendering.locales import language_of, normalize_locale
from rendering.message import RenderError, TemplateMissing
from rendering.sms import sms_segments
from sending.composition import Composer, LinkSigning
from settings import Settings, WebhookTarget
from workflows.client import cart_workflow_id
from workflows.payloads import Cart, Channel, LineItem, SendRequest, Shopper, ShopperConsent

# Signs preview links (see the module docstring); HMAC-SHA256 tokens are as long as real ones.
PREVIEW_LINK_KEY = "cartnudge-preview: links in previews are refused by every deployment"
PREVIEW_CART_ID = "preview-cart-0001"
# A run id is a UUID; this one has the length of a real one, so links are as long as sent.
PREVIEW_RUN_ID = "00000000-0000-4000-8000-000000000000"
# Stand-ins where the cart's customer lacks the address a channel needs; rendering does
# not read them (email's unsubscribe link aside), the index notes the channel is skipped.
_STAND_IN_ADDRESS = {
    Channel.EMAIL: "preview@example.com",
    Channel.SMS: "+15555550100",
    Channel.PUSH: "preview-push-token",
}
_ADDRESS_NAME = {
    Channel.EMAIL: "email address",
    Channel.SMS: "phone number",
    Channel.PUSH: "push token",
}


class PreviewError(Exception):
    """A journey, version, cart or output folder that can not be previewed; one line."""


# --- the cart ------------------------------------------------------------------------------


def read_cart(path: Path) -> Cart:
    """A cart.json in the format of `PUT /v1/carts/{id}`, as the workflow would hold it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise PreviewError(f"{path}: can not read it: {reason}") from None
    try:
        snapshot = CartSnapshot.model_validate_json(text)
    except ValidationError as err:
        raise PreviewError(f"{path}: {_first_error(err)}") from None
    return cart_payload(snapshot)


def _first_error(err: ValidationError) -> str:
    errors = err.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        return f"not valid JSON: {first['msg']}"
    where = ".".join(str(part) for part in first["loc"]) or "the cart"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


@dataclass(frozen=True)
class _Sample:
    first_name: str
    currency: str
    timezone: str
    phone: str
    items: tuple[tuple[str, str, str, int], ...]  # sku, name, unit price, quantity


_SAMPLES = {
    "tr": _Sample(
        "Ayşe",
        "TRY",
        "Europe/Istanbul",
        "+905321234567",
        (
            ("KSU-42", "Koşu Ayakkabısı", "1299.90", 1),
            ("CRP-3", "Spor Çorap (3'lü paket)", "89.50", 2),
            ("SSE-750", "Çelik Su Şişesi 750 ml", "249.00", 1),
        ),
    ),
    "de": _Sample(
        "Lena",
        "EUR",
        "Europe/Berlin",
        "+4915123456789",
        (
            ("LAUF-42", "Laufschuhe", "119.90", 1),
            ("SOCK-3", "Sportsocken (3er-Pack)", "12.95", 2),
        ),
    ),
    "en": _Sample(
        "Emma",
        "USD",
        "America/New_York",
        "+12025550143",
        (
            ("RUN-42", "Running shoes", "89.90", 1),
            ("SOCK-3", "Sport socks (3-pack)", "12.50", 2),
            ("BTL-750", "Steel water bottle 750 ml", "24.00", 1),
        ),
    ),
}
_IMAGE_COLOURS = ("#2563eb", "#16a34a", "#db2777")


def sample_cart(locale: str) -> Cart:
    """A realistic cart of a named customer in `locale`, with 2-3 items in its currency.

    Product images are drawings the preview writes next to the messages (`images/`), so
    they show without a network.
    """
    sample = _SAMPLES.get(language_of(locale), _SAMPLES["en"])
    items = [
        LineItem(
            sku=sku,
            name=name,
            quantity=quantity,
            unit_price=Decimal(price),
            image_url=f"images/{sku.lower()}.svg",
            url=f"https://shop.example/products/{sku.lower()}",
        )
        for sku, name, price, quantity in sample.items
    ]
    return Cart(
        shop="preview",
        updated_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
        currency=sample.currency,
        total=sum((item.unit_price * item.quantity for item in items), Decimal("0")),
        checkout_url=f"https://shop.example/checkout/{PREVIEW_CART_ID}",
        customer=Shopper(
            id="preview-customer",
            email=f"{sample.first_name.lower().replace('ş', 's')}@example.com",
            phone=sample.phone,
            first_name=sample.first_name,
            locale=normalize_locale(locale),
            timezone=sample.timezone,
            consent=ShopperConsent(email=True, sms=True, push=True),
        ),
        items=items,
    )


def _sample_image(name: str, colour: str) -> str:
    initial = name[:1].upper()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="144" height="144" viewBox="0 0 144 144">'
        f'<rect width="144" height="144" rx="12" fill="{colour}"/>'
        '<text x="72" y="92" font-family="Arial,sans-serif" font-size="64" fill="#fff" '
        f'text-anchor="middle">{initial}</text></svg>\n'
    )


# --- the steps -----------------------------------------------------------------------------


def send_steps_with_branches(
    steps: Sequence[Step], prefix: str = "steps", conditions: tuple[str, ...] = ()
) -> Iterator[tuple[str, tuple[str, ...], SendStep]]:
    """Every send step, its path, and the conditions that lead to it, in file order."""
    for index, step in enumerate(steps):
        path = f"{prefix}[{index}]"
        if isinstance(step, SendStep):
            yield path, conditions, step
        elif isinstance(step, WaitForStep | BranchStep):
            then, otherwise = _fork(step)
            yield from send_steps_with_branches(step.then, f"{path}.then", (*conditions, then))
            yield from send_steps_with_branches(
                step.else_, f"{path}.else", (*conditions, otherwise)
            )
        elif isinstance(step, SplitStep):
            for name, arm in step.split.arms.items():
                yield from send_steps_with_branches(
                    arm.steps, arm_path(path, name), (*conditions, arm_label(step.split, name))
                )


def arm_label(split: SplitSpec, arm: str) -> str:
    """`first_wait: arm fast (50%, control)`: which customers an arm's steps reach."""
    control = ", control" if arm == split.control else ""
    return f"{split.experiment}: arm {arm} ({split.arms[arm].weight}%{control})"


def _fork(step: WaitForStep | BranchStep) -> tuple[str, str]:
    """The condition of a fork's `then` and of its `else`, as a marketer reads them."""
    if isinstance(step, WaitForStep):
        spec = step.wait_for
        event = f"{spec.event} {spec.message_id} within {format_duration(spec.within)}"
        return event, f"not {event}"
    return step.branch, f"not ({step.branch})"


# --- rendering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One rendered part, written to `file` (relative to the output folder)."""

    label: str  # "subject", "HTML", "text", "SMS", "title", "body", "JSON body"
    file: str
    text: str  # shown in the index for short parts (subject, SMS, push); "" otherwise


@dataclass(frozen=True)
class PreviewMessage:
    """One step's message on one of its channels."""

    path: str
    conditions: tuple[str, ...]
    message_id: str
    channel: Channel
    label: str  # the template, or "webhook <target>"
    locale: str | None  # the template language used
    parts: list[Part]
    notes: list[str] = field(default_factory=list)

    @property
    def branch(self) -> str:
        """`clicked r1 within 24h → still_thinking`."""
        return f"{' and '.join(self.conditions) or 'every cart'} → {self.label}"


@dataclass(frozen=True)
class Preview:
    journey: str
    version: int
    release: str  # the short id `journeys publish` gives these files
    cart: Cart
    messages: list[PreviewMessage]
    holdout: str | None = None  # `10%`: the share of customers sent none of them

    @property
    def holdout_note(self) -> str | None:
        """What the holdout means for these messages, if the version has one."""
        if self.holdout is None:
            return None
        return f"holdout {self.holdout}: that share of customers is sent none of these messages"


@dataclass(frozen=True)
class Deployment:
    """What of the deployment's settings a preview shows its messages with."""

    links: LinkSigning
    mail_from: str
    channels: frozenset[Channel]  # the channels with a provider configured
    webhook_targets: dict[str, WebhookTarget]

    @classmethod
    def from_settings(cls, settings: Settings) -> Deployment:
        return cls(
            links=LinkSigning(settings.public_url, PREVIEW_LINK_KEY),
            mail_from=settings.mail_from,
            channels=configured_channels(settings),
            webhook_targets=dict(settings.webhook_targets),
        )


def render_preview(
    release: Release,
    cart: Cart,
    deployment: Deployment,
    *,
    now: datetime,
    sample_catalog: bool = True,
) -> Preview:
    """Every message of the version, rendered by the send path's Composer for `cart`, with
    sample recommendations and (`sample_catalog`) a sample price drop and low stock."""
    journey = release.definition
    composer = Composer(deployment.links)
    reachable = _reachable(cart)
    workflow_id = cart_workflow_id(cart.shop, PREVIEW_CART_ID)
    messages = []
    for path, conditions, step in send_steps_with_branches(journey.steps):
        spec = step.send
        request = SendRequest(
            workflow_id=workflow_id,
            run_id=PREVIEW_RUN_ID,
            shop=cart.shop,
            cart_id=PREVIEW_CART_ID,
            journey=journey.journey,
            version=journey.version,
            release_id=release.id,
            step=path,
            message_id=spec.id or path,
            channels=spec.channels,
            template=spec.template,
            target=spec.target,
            default_locale=journey.locale,
            # Stand-in addresses let every part render; a webhook posts the cart as it is.
            cart=cart if Channel.WEBHOOK in spec.channels else reachable,
        )
        for channel in spec.channels:
            key = f"{workflow_id}:{PREVIEW_RUN_ID}:{path}"
            try:
                composed = composer.compose(
                    key=key,
                    request=request,
                    channel=channel,
                    now=now,
                    mail_from=deployment.mail_from,
                    templates=release.templates_for(spec.template),
                    # Sample products bought with the cart, a price drop and low stock, and a
                    # sample code for a step with an offer: the real ones are read at send.
                    live=sample_live(
                        cart,
                        coupon=spec.coupon is not None,
                        catalog=sample_catalog,
                        low_stock_below=journey.low_stock_below,
                    ),
                )
            except (TemplateMissing, RenderError) as err:
                raise PreviewError(f"{path} ({channel}): {err}") from None
            message = composed.message
            notes = _notes(cart, channel, spec.target, deployment)
            if isinstance(message, SmsOut):
                notes.insert(0, _sms_length(message.body, journey.sms_max_segments))
            parts, extra = _parts(_slug(path), message, deployment.webhook_targets)
            messages.append(
                PreviewMessage(
                    path=path,
                    conditions=conditions,
                    message_id=request.message_id,
                    channel=channel,
                    label=spec.label,
                    locale=composed.locale,
                    parts=parts,
                    notes=extra + notes,
                )
            )
    holdout = format_percent(journey.holdout) if journey.holdout else None
    return Preview(journey.journey, journey.version, release.short_id, cart, messages, holdout)


def _reachable(cart: Cart) -> Cart:
    """The cart with a stand-in for each address its customer lacks, so every part renders."""
    customer = cart.customer
    return cart.model_copy(
        update={
            "customer": customer.model_copy(
                update={
                    "email": customer.email or _STAND_IN_ADDRESS[Channel.EMAIL],
                    "phone": customer.phone or _STAND_IN_ADDRESS[Channel.SMS],
                    "push_token": customer.push_token or _STAND_IN_ADDRESS[Channel.PUSH],
                }
            )
        }
    )


def _notes(cart: Cart, channel: Channel, target: str | None, deployment: Deployment) -> list[str]:
    """Why this message would not go out on `channel` for this cart in this deployment."""
    if channel == Channel.WEBHOOK:
        if target not in deployment.webhook_targets:
            return [
                f"target {target!r} is not in CARTNUDGE_WEBHOOK_TARGETS here:"
                " shown as a json target gets it"
            ]
        return []
    notes = []
    if channel not in deployment.channels:
        notes.append(f"no {channel} provider is configured here: skipped at send time")
    customer = cart.customer
    address = {
        Channel.EMAIL: customer.email,
        Channel.SMS: customer.phone,
        Channel.PUSH: customer.push_token,
    }[channel]
    if address is None:
        notes.append(f"this customer has no {_ADDRESS_NAME[channel]}: skipped at send time")
    if not getattr(customer.consent, channel.value):
        notes.append(f"this customer has no {channel} consent: skipped at send time")
    return notes


def _sms_length(body: str, max_segments: int) -> str:
    """`4 segments (GSM-7, 472 characters)`, and whether the version allows that many."""
    segments = sms_segments(body)
    if segments.segments > max_segments:
        return (
            f"{segments} with the opt-out line: over sms_max_segments ({max_segments})"
            " with this deployment's short links"
        )
    return f"{segments} with the opt-out line"


def _slug(path: str) -> str:
    """`steps[2].else[0]` -> `steps-2-else-0`, `steps[0].arms.fast[1]` ->
    `steps-0-arms-fast-1`: a file name."""
    return path.replace("[", "-").replace("].", "-").replace("]", "").replace(".", "-")


def _parts(
    slug: str,
    message: EmailOut | SmsOut | PushOut | WebhookOut,
    targets: dict[str, WebhookTarget],
) -> tuple[list[Part], list[str]]:
    """The files of one composed message, and what the index says of it (SMS segments)."""
    if isinstance(message, EmailOut):
        return [
            Part("subject", f"{slug}.email.subject.txt", message.subject),
            Part("HTML", f"{slug}.email.html", message.html),
            Part("text", f"{slug}.email.txt", message.text),
        ], []
    if isinstance(message, SmsOut):
        return [Part("SMS", f"{slug}.sms.txt", message.body)], []
    if isinstance(message, PushOut):
        return [
            Part("title", f"{slug}.push.title.txt", message.title),
            Part("body", f"{slug}.push.txt", message.body),
        ], []
    target = targets.get(message.target)
    slack = target is not None and target.format == "slack"
    body = slack_message(message.payload) if slack else message.payload
    text = json.dumps(body, indent=2, ensure_ascii=False)
    return [Part("JSON body", f"{slug}.webhook.json", text)], [
        f"the body POSTed to target {message.target!r} ({'slack' if slack else 'json'})"
    ]


# --- writing -------------------------------------------------------------------------------

# The parts whose text the index shows in full (the long ones are a link away).
_INLINE = {"subject", "SMS", "title", "body"}

INDEX = """<!DOCTYPE html>
<html lang="{{ language }}">
<head>
<meta charset="utf-8">
<title>Preview: {{ preview.journey }} v{{ preview.version }}</title>
<style>
body { font-family: Arial, Helvetica, sans-serif; margin: 24px auto; max-width: 1100px;
       padding: 0 24px; color: #18181b; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 8px; border-bottom: 1px solid #e4e4e7; }
code { background: #f4f4f5; padding: 1px 4px; border-radius: 4px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; font-family: inherit; }
td.when { min-width: 14em; }
.note { color: #b45309; font-size: 14px; }
.cart td, .cart th { border: 0; padding: 2px 12px 2px 0; }
</style>
</head>
<body>
<h1>{{ preview.journey }} v{{ preview.version }}</h1>
<p>Release <code>{{ preview.release }}</code> as these files are now.</p>
<p>Every message this version can send, rendered for the cart below
(locale <code>{{ cart.customer.locale }}</code>).</p>
{% if preview.holdout_note %}<p class="holdout">{{ preview.holdout_note }}.</p>{% endif %}
<h2>Cart</h2>
<p>{{ cart.customer.first_name or "(no first name)" }}
&lt;{{ cart.customer.email or "no email" }}&gt;, {{ cart.customer.phone or "no phone" }},
shop <code>{{ cart.shop }}</code></p>
<table class="cart">
{% for item in items %}
<tr><td>{{ item.quantity }} &times;</td><td>{{ item.name }}</td><td>{{ item.price }}</td></tr>
{% endfor %}
<tr><th></th><th>Total</th><th>{{ total }}</th></tr>
</table>
<h2>Messages</h2>
<table id="messages">
<tr><th>Step</th><th>When</th><th>Channel</th><th>Parts</th></tr>
{% for message in preview.messages %}
<tr class="message">
<td><code>{{ message.path }}</code><br>id <code>{{ message.message_id }}</code></td>
<td class="when">{{ message.branch }}</td>
<td>{{ message.channel }}{% if message.locale %} ({{ message.locale }}){% endif %}</td>
<td>
{% for part in message.parts %}
<div><a href="{{ part.file }}">{{ part.label }}</a>{% if part.label in inline %}:
<pre>{{ part.text }}</pre>{% endif %}</div>
{% endfor %}
{% for note in message.notes %}<div class="note">{{ note }}</div>{% endfor %}
</td>
</tr>
{% endfor %}
</table>
</body>
</html>
"""


def write_preview(preview: Preview, out: Path) -> Path:
    """Write every part and `index.html` into `out`; returns the index's path."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for message in preview.messages:
            for part in message.parts:
                (out / part.file).write_text(_with_newline(part.text), encoding="utf-8")
        images = [item for item in preview.cart.items if _is_sample_image(item.image_url)]
        if images:
            (out / "images").mkdir(exist_ok=True)
        for index, item in enumerate(images):
            assert item.image_url is not None
            colour = _IMAGE_COLOURS[index % len(_IMAGE_COLOURS)]
            (out / item.image_url).write_text(_sample_image(item.name, colour), encoding="utf-8")
        index_file = out / "index.html"
        index_file.write_text(_index_html(preview), encoding="utf-8")
    except OSError as err:
        raise PreviewError(f"--out {out}: {err.strerror or err}") from None
    return index_file


def _index_html(preview: Preview) -> str:
    environment = create_environment({"index.html": INDEX})
    cart = preview.cart
    locale = normalize_locale(cart.customer.locale)
    context: dict[str, Any] = {
        "preview": preview,
        "cart": cart,
        "items": [
            {
                "name": item.name,
                "quantity": item.quantity,
                "price": format_money(item.unit_price, cart.currency, locale),
            }
            for item in cart.items
        ],
        "total": format_money(cart.total, cart.currency, locale),
        "inline": _INLINE,
        "language": language_of(preview.cart.customer.locale),
    }
    return environment.get_template("index.html").render(context)


def _is_sample_image(url: str | None) -> bool:
    return url is not None and url.startswith("images/")


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else f"{text}\n"
