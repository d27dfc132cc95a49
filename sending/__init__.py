"""The send path, by concept; activities/messaging.py (the send activity) wires it.

    policy.py          may this message go now, on which channel, or when (pure)
    quiet_hours.py     the local hours in which no customer message goes out (pure)
    facts.py           what the policy decides on, read at send time through storage/
    consent_registry.py  the optional consent registry (İYS), asked over HTTP, answers cached
    order_check.py     bought? our orders, then the shop's order lookup
    order_lookup.py    the HTTP client of a shop's order lookup endpoint
    composition.py     render the step's parts into what its channel delivers

The outbox state machine, which makes each step go out at most once, is storage/outbox.py.
"""
