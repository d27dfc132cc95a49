"""Fault drills: the real local stack with one dependency taken away, counted afterwards.

    python -m devstack.faults                     (`make faults`: the full drills)
    python -m devstack.faults --drill temporal-restart --carts 20 --outage 3

Each drill brings up PostgreSQL, the Temporal dev server on a database file, the worker and
the API as processes, an SMTP server (aiosmtpd) and the Twilio stub (drill.py), sends carts
of the chaos journey (tests/chaos/journeys: email r1, sms r2, email r3) through the API as a
shop would, retrying every 503 after its Retry-After, and takes one dependency away:

    temporal_restart.py   the Temporal server SIGKILLed mid-journeys, restarted on its file
    postgres_stop.py      PostgreSQL stopped under a steady intake, started again
    provider_down.py      the SMTP server answering 421 and Twilio 503 + Retry-After

then waits for every journey and ends with one line of counts (report.py), e.g.

    fault temporal-restart: carts=200 finished=200 duplicates=0 lost=0 503s=37 ...

Messages are told apart by the marker in their text, counted as devstack/chaos.py does
(its `tally`). The worker SIGKILLed is devstack/chaos.py's own drill (`make chaos`).
"""
