"""The public contract (contract/) onto the workflow's payloads (workflows.payloads), and back.

Field by field on purpose: a field added to the API reaches a workflow only once it is
mapped here, so a change to the contract never changes a stored history by accident.
"""

from __future__ import annotations

from contract.carts import CartSnapshot
from contract.journeys import JourneyState, MessageState
from workflows.payloads import Cart, JourneyProgress, LineItem, Shopper, ShopperConsent


def cart_payload(snapshot: CartSnapshot) -> Cart:
    """The cart as the workflow holds it."""
    customer = snapshot.customer
    return Cart(
        shop=snapshot.shop,
        updated_at=snapshot.updated_at,
        currency=snapshot.currency,
        total=snapshot.total,
        checkout_url=snapshot.checkout_url,
        customer=Shopper(
            id=customer.id,
            email=customer.email,
            phone=customer.phone,
            first_name=customer.first_name,
            locale=customer.locale,
            timezone=customer.timezone,
            push_token=customer.push_token,
            consent=ShopperConsent(
                email=customer.consent.email,
                sms=customer.consent.sms,
                push=customer.consent.push,
            ),
            orders_count=customer.orders_count,
            tags=list(customer.tags),
        ),
        items=[
            LineItem(
                sku=item.sku,
                name=item.name,
                quantity=item.quantity,
                unit_price=item.unit_price,
                image_url=item.image_url,
                url=item.url,
            )
            for item in snapshot.items
        ],
    )


def journey_state(progress: JourneyProgress) -> JourneyState:
    """The workflow's answer to the `state` query, as the API shows it."""
    return JourneyState(
        shop=progress.shop,
        cart_id=progress.cart_id,
        status=progress.status,
        journey=progress.journey,
        version=progress.version,
        current_step=progress.current_step,
        cart_total=progress.cart_total,
        currency=progress.currency,
        messages=[
            MessageState(
                message_id=message.message_id,
                step=message.step,
                channel=message.channel,
                template=message.template,
                status=message.status,
                reason=message.reason,
                sent_at=message.sent_at,
                deferred_until=message.deferred_until,
                opened=message.opened,
                clicked=message.clicked,
            )
            for message in progress.messages
        ],
        outcome=progress.outcome,
        order_id=progress.order_id,
        revenue=progress.revenue,
        held_out=progress.held_out,
        arms=progress.arms,
    )
