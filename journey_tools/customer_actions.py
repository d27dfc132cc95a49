"""What the simulated customer does, through the product's own roads.

A cart as the API takes it (intake/carts.py: stored, mapped, signal-with-start), opens
and clicks as the tracking links report them and unsubscribes as the unsubscribe link
and an SMS STOP do (intake/engagement.py), an order as the shop posts it
(intake/orders.py), consent as the shop states it (intake/consent.py).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from contract.carts import CartItem, CartSnapshot, CartStatus, Consent, Customer
from contract.orders import OrderIn
from intake.carts import take_cart
from intake.consent import take_consent
from intake.engagement import take_customer_engagement, take_open_or_click, take_sms_stop
from intake.orders import take_order
from intake.temporal import TemporalGateway
from journey_tools.customer_payloads import (
    BUY,
    ENGAGE,
    START_CART,
    STATE_CONSENT,
    Buy,
    Engage,
    StartCart,
    StateConsent,
    checkout_url,
)
from journey_tools.personas import ActionKind, ConsentSpec
from settings import Settings
from storage.messages import find_message
from workflows.payloads import Channel, EngagementKind

# (customer workflow id, cart workflow id, cart id): the simulator watches the cart's end.
CartStarted = Callable[[str, str, str], None]


class SimulatedCustomerActions:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        temporal: TemporalGateway,
        on_cart_started: CartStarted,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._temporal = temporal
        self._on_cart_started = on_cart_started

    @activity.defn(name=START_CART)
    async def start_cart(self, start: StartCart) -> str:
        """The customer's last change to a cart, as the API takes it."""
        plan, spec = start.plan, start.plan.persona.carts[start.cart]
        cart_id = plan.cart_ids[start.cart]
        customer = plan.persona.customer
        snapshot = CartSnapshot(
            shop=plan.shop,
            updated_at=start.at,
            currency=spec.currency,
            total=spec.total,
            checkout_url=checkout_url(cart_id),
            customer=Customer(
                id=plan.customer_id,
                email=plan.email,
                phone=plan.phone,
                first_name=customer.first_name,
                locale=customer.locale,
                timezone=customer.timezone,
                push_token=plan.push_token,
                consent=Consent(**start.consent.model_dump()),
            ),
            items=[
                CartItem(
                    sku="SKU-1",
                    name="Running shoes",
                    quantity=1,
                    unit_price=spec.total,
                    url="https://shop.example/p/running-shoes",
                )
            ],
        )
        accepted = await take_cart(
            cart_id=cart_id,
            snapshot=snapshot,
            settings=self._settings,
            sessions=self._sessions,
            temporal=self._temporal,
        )
        if accepted.status != CartStatus.ACCEPTED:
            raise RuntimeError(f"cart {cart_id} was not accepted: {accepted.status}")
        self._on_cart_started(activity.info().workflow_id or "", accepted.workflow_id, cart_id)
        return f"customer leaves cart {start.cart + 1}"

    @activity.defn(name=ENGAGE)
    async def engage(self, engage: Engage) -> str:
        """An open, a click or an unsubscribe, as the links and a STOP report them."""
        arrived = engage.message
        async with self._sessions() as session:
            sent = await find_message(session, key=arrived.key, provider_message_id=None)
        if sent is None:
            raise RuntimeError(f"no outbox row for {arrived.key}")
        kind = ActionKind(engage.kind)
        sessions, temporal = self._sessions, self._temporal
        if kind in (ActionKind.OPEN, ActionKind.CLICK):
            engagement = (
                EngagementKind.OPENED if kind == ActionKind.OPEN else EngagementKind.CLICKED
            )
            url = engage.checkout_url if kind == ActionKind.CLICK else None
            await take_open_or_click(
                sent, engagement, url=url, sessions=sessions, temporal=temporal
            )
            return (
                f"customer {'opens' if kind == ActionKind.OPEN else 'clicks'} {arrived.message_id}"
            )
        if arrived.channel == Channel.SMS:
            untold = await take_sms_stop(
                engage.address, source="sms-stop", sessions=sessions, temporal=temporal
            )
            text = f"customer replies STOP to {arrived.message_id}"
        else:
            untold = await take_customer_engagement(
                [sent],
                EngagementKind.UNSUBSCRIBED,
                source="link",
                sessions=sessions,
                temporal=temporal,
            )
            text = (
                f"customer unsubscribes from {arrived.channel} (the link in {arrived.message_id})"
            )
        await untold.tell()
        return text

    @activity.defn(name=BUY)
    async def buy(self, buy: Buy) -> str:
        """The order, as the shop posts it."""
        order = OrderIn(
            shop=buy.shop,
            order_id=f"o-{buy.cart_id}",
            cart_id=buy.cart_id,
            total=Decimal(buy.total),
            currency=buy.currency,
            placed_at=buy.at,
        )
        await take_order(order, sessions=self._sessions, temporal=self._temporal)
        return f"customer buys: order {order.order_id}, {order.total} {order.currency}"

    @activity.defn(name=STATE_CONSENT)
    async def state_consent(self, stated: StateConsent) -> str:
        """Consent as the shop states it on its own."""
        await take_consent(
            shop=stated.shop,
            customer_id=stated.customer_id,
            consent=Consent(**stated.consent.model_dump()),
            updated_at=stated.at,
            sessions=self._sessions,
        )
        return f"shop states the consent: {describe_consent(stated.consent)}"


def describe_consent(consent: ConsentSpec) -> str:
    return ", ".join(
        f"{channel} {'yes' if allowed else 'no'}"
        for channel, allowed in consent.model_dump().items()
    )
