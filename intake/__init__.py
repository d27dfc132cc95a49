"""Use cases of the intake: carts, orders, engagement and consent, from whichever door.

The API routes, the platform webhooks, the bench and the tests call these. Each use case
receives the session factory, opens one transaction for its writes (take_cart: one
statement, in autocommit) and commits it before any Temporal call (workflows.client), so
no connection waits on Temporal; the caller maps
TemporalUnavailable and database errors to its own answer (the API: 503, Retry-After).

    carts.py        take_cart, empty_cart
    orders.py       take_order
    consent.py      take_consent
    engagement.py   customers' unsubscribes, opens and clicks; providers' webhook events
    deliveries.py   once_per_delivery: a platform's webhook id, handled once
    shops.py        the shop a platform webhook is for
    mapping.py      the public contract onto the workflow's payloads, and back
    temporal.py     TemporalGateway: the process's Temporal client, connected on first use,
                    its calls bounded and refused at once while Temporal is known down
    outages.py      Outage: the memory that a dependency just failed (fail fast meanwhile)
"""
