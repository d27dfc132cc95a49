"""The Temporal worker: builds settings, database, channels and journeys, then runs.

python worker.py        (settings from CARTNUDGE_* environment variables)
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.journeys import JourneyActivities
from activities.messaging import EmailSender, LinkSigning, MessagingActivities
from activities.orders import OrderActivities
from activities.outcomes import OutcomeActivities
from channels.smtp import SmtpEmailSender
from journey_schema.catalog import JourneyCatalog
from settings import Settings
from storage.database import create_engine, create_session_factory
from storage.outbox import Outbox
from temporal_connection import connect_temporal
from workflows.cart_journey import CartJourneyWorkflow

log = logging.getLogger("cartnudge.worker")

WORKFLOWS = [CartJourneyWorkflow]


def load_journeys(settings: Settings) -> JourneyCatalog:
    """Load and validate the journeys; a bad file is refused and logged, never fatal."""
    catalog = JourneyCatalog.load(settings.journeys_dir, default_journey=settings.default_journey)
    for problem in catalog.problems:
        log.error("journey refused: %s", problem)
    return catalog


def build_activities(
    *,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    catalog: JourneyCatalog,
    email: EmailSender,
) -> list[Callable[..., Any]]:
    """Every activity the cart journey calls, wired to its clients."""
    journeys = JourneyActivities(catalog)
    orders = OrderActivities(session_factory)
    outcomes = OutcomeActivities(session_factory)
    messaging = MessagingActivities(
        outbox=Outbox(session_factory),
        email=email,
        mail_from=settings.mail_from,
        links=LinkSigning(
            public_url=settings.public_url,
            secret=settings.secret_key.get_secret_value(),
        ),
    )
    return [
        journeys.journey_trigger,
        journeys.pin_journey,
        orders.find_order,
        messaging.send_message,
        outcomes.record_outcome,
    ]


def build_worker(
    client: Client, *, settings: Settings, activities: Sequence[Callable[..., Any]]
) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities,
    )


async def main() -> None:
    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    engine = create_engine(settings.database_url)
    catalog = load_journeys(settings)
    client = await connect_temporal(settings)
    activities = build_activities(
        settings=settings,
        session_factory=create_session_factory(engine),
        catalog=catalog,
        email=SmtpEmailSender.from_url(settings.smtp_url),
    )
    worker = build_worker(client, settings=settings, activities=activities)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    log.info("worker polling task queue %r at %s", settings.task_queue, settings.temporal_address)
    async with worker:
        await stop.wait()
        log.info("shutting down: finishing in-flight activities")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
