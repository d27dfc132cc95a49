"""The Temporal worker: builds settings, database, channels and releases, then runs.

Journeys reach it as published releases in the database (`cartnudge journeys publish`),
read by id and kept in memory; it needs no `journeys/` folder.

python worker.py        (settings from CARTNUDGE_* environment variables)
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.customer_facts import CustomerFactsActivities
from activities.experiments import ExperimentActivities
from activities.journeys import JourneyActivities
from activities.messaging import MessagingActivities
from activities.outcomes import OutcomeActivities
from activities.recommendations import RecommendationActivities
from catalog.lookup import CatalogLookup
from channels.fcm import FcmSender, ServiceAccount
from channels.netgsm import NetgsmSender
from channels.postmark import PostmarkSender
from channels.sendgrid import SendgridSender
from channels.smtp import SmtpEmailSender
from channels.twilio import TwilioSender
from channels.webhook import WebhookSender
from coupons.issuing import CouponIssuer
from data_at_rest.cipher import DataCipher
from experiments.decisions import RuleDecider
from observability.logs import configure_logging
from observability.runtime import MetricsAddressUnusable, worker_runtime
from observability.tracing import WORKER_SERVICE, start_tracing
from releases.live import LiveReleases
from releases.source import ReleaseSource
from sending.composition import LinkSigning
from sending.consent_registry import ConsentRegistry
from sending.delivery import Provider
from sending.hand_over_journal import HandOverJournal
from sending.order_lookup import ShopOrderLookup
from sending.policy import SendRules
from settings import Settings
from storage.database import create_engine, create_session_factory
from storage.outbox import Outbox
from temporal_connection import connect_temporal
from workflows.cart_journey import CartJourneyWorkflow
from workflows.payloads import Channel
from workflows.recommendations_refresh import RecommendationsRefreshWorkflow
from workflows.recommendations_schedule import ensure_recommendations_schedule

log = logging.getLogger("cartnudge.worker")

WORKFLOWS = [CartJourneyWorkflow, RecommendationsRefreshWorkflow]


def build_providers(settings: Settings, http: httpx.AsyncClient) -> dict[Channel, Provider]:
    """The provider of every channel the settings configure (email always has one)."""
    providers: dict[Channel, Provider] = {}
    if settings.email_provider == "sendgrid":
        assert settings.sendgrid_api_key is not None  # Settings refuses it missing
        providers[Channel.EMAIL] = Provider(
            "sendgrid",
            SendgridSender(
                client=http,
                api_key=settings.sendgrid_api_key.get_secret_value(),
                api_url=settings.sendgrid_api_url,
                reports_events=settings.sendgrid_webhook_public_key is not None,
            ),
        )
    elif settings.email_provider == "postmark":
        assert settings.postmark_server_token is not None
        providers[Channel.EMAIL] = Provider(
            "postmark",
            PostmarkSender(
                client=http,
                server_token=settings.postmark_server_token.get_secret_value(),
                api_url=settings.postmark_api_url,
                reports_events=settings.postmark_webhook_user is not None,
            ),
        )
    else:
        providers[Channel.EMAIL] = Provider("smtp", SmtpEmailSender.from_url(settings.smtp_url))
    if settings.sms_provider == "twilio":
        assert settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from
        providers[Channel.SMS] = Provider(
            "twilio",
            TwilioSender(
                client=http,
                account_sid=settings.twilio_account_sid,
                auth_token=settings.twilio_auth_token.get_secret_value(),
                sender=settings.twilio_from,
                api_url=settings.twilio_api_url,
                status_callback_url=f"{settings.public_url.rstrip('/')}/webhooks/twilio/status",
            ),
        )
    elif settings.sms_provider == "netgsm":
        assert settings.netgsm_usercode and settings.netgsm_password and settings.netgsm_header
        providers[Channel.SMS] = Provider(
            "netgsm",
            NetgsmSender(
                client=http,
                usercode=settings.netgsm_usercode,
                password=settings.netgsm_password.get_secret_value(),
                header=settings.netgsm_header,
                api_url=settings.netgsm_api_url,
            ),
        )
    if settings.fcm_service_account_file is not None:
        account = ServiceAccount.from_file(settings.fcm_service_account_file)
        providers[Channel.PUSH] = Provider(
            "fcm", FcmSender(client=http, account=account, api_url=settings.fcm_api_url)
        )
    if settings.webhook_targets:
        providers[Channel.WEBHOOK] = Provider(
            "webhook", WebhookSender(targets=settings.webhook_targets, client=http)
        )
    return providers


def build_activities(
    *,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    releases: ReleaseSource,
    providers: dict[Channel, Provider],
    http: httpx.AsyncClient | None = None,
) -> list[Callable[..., Any]]:
    """Every activity the cart journey (some as local activities) and the nightly
    recommendations refresh call, wired to their clients."""
    journeys = JourneyActivities(releases)
    outcomes = OutcomeActivities(session_factory)
    experiments = ExperimentActivities(session_factory, releases, RuleDecider(session_factory))
    # One catalog cache for the sends and the conditions on the cart's stock.
    cipher = DataCipher.from_settings(settings)
    catalog = CatalogLookup(http) if http is not None else None
    customer_facts = CustomerFactsActivities(
        session_factory, cipher, settings.secret_key.get_secret_value(), catalog
    )
    registry = None
    if settings.consent_registry_url:
        assert http is not None, "the consent registry needs an HTTP client"
        token = settings.consent_registry_token
        registry = ConsentRegistry(
            url=settings.consent_registry_url,
            token=token.get_secret_value() if token else None,
            client=http,
            session_factory=session_factory,
            cache_for=timedelta(hours=settings.consent_registry_cache_hours),
        )
    messaging = MessagingActivities(
        outbox=Outbox(session_factory),
        session_factory=session_factory,
        providers=providers,
        mail_from=settings.mail_from,
        links=LinkSigning(
            public_url=settings.public_url,
            secret=settings.secret_key.get_secret_value(),
        ),
        rules=SendRules(
            shop_timezone=settings.shop_timezone,
            caps={
                Channel.EMAIL: timedelta(hours=settings.email_cap_hours),
                Channel.SMS: timedelta(hours=settings.sms_cap_hours),
                Channel.PUSH: timedelta(hours=settings.push_cap_hours),
            },
        ),
        registry=registry,
        # Shops' order lookup endpoints are asked on the same pooled client as the providers.
        order_lookup=ShopOrderLookup(http) if http is not None else None,
        releases=releases,
        # Shops' catalogs too: the lookup bounds its own time (a few seconds) and caches.
        catalog=catalog,
        cipher=cipher,
        # Shopify's and WooCommerce's APIs on the same client; codes derived under the key.
        coupons=CouponIssuer(
            session_factory=session_factory,
            client=http,
            secret=settings.secret_key.get_secret_value(),
        ),
        provider_silence=timedelta(minutes=settings.provider_silence_minutes),
        journal=HandOverJournal(settings.send_journal_dir) if settings.send_journal_dir else None,
    )
    recommendations = RecommendationActivities(session_factory)
    return [
        journeys.journey_trigger,
        journeys.choose_release,
        messaging.send_message,
        outcomes.record_outcome,
        experiments.enter_journey,
        experiments.choose_arm,
        customer_facts.look_up_customer,
        recommendations.recommendation_shops,
        recommendations.refresh_recommendations,
    ]


def build_worker(
    client: Client, *, settings: Settings, activities: Sequence[Callable[..., Any]]
) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_cached_workflows=settings.worker_max_cached_workflows,
    )


async def schedule_recommendations(client: Client, settings: Settings) -> None:
    """The nightly recommendations refresh, scheduled by whichever worker starts: every
    deployment that runs the workflow has its schedule, on the worker's own task queue."""
    try:
        change = await ensure_recommendations_schedule(client, task_queue=settings.task_queue)
    except Exception:  # the carts do not need it: never a reason not to run
        log.warning("could not create or update the recommendations schedule", exc_info=True)
    else:
        log.info("recommendations schedule: %s", change)


async def main() -> None:
    settings = Settings()
    configure_logging(settings)
    start_tracing(settings, WORKER_SERVICE)
    try:
        # The SDK's metrics and ours, at worker_metrics_address when set.
        runtime = worker_runtime(settings)
    except MetricsAddressUnusable as err:
        sys.exit(f"worker: {err}")
    if settings.worker_metrics_address:
        log.info("metrics at http://%s/metrics", settings.worker_metrics_address)
    engine = create_engine(settings.database_url)
    # One pooled HTTP client for every provider and shop endpoint; timeouts well inside the
    # activities' (the order lookup sets its own, shorter one).
    http = httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0))
    providers = build_providers(settings, http)
    session_factory = create_session_factory(engine)
    client = await connect_temporal(settings, runtime=runtime)
    activities = build_activities(
        settings=settings,
        session_factory=session_factory,
        releases=LiveReleases(session_factory, default_journey=settings.default_journey),
        providers=providers,
        http=http,
    )
    worker = build_worker(client, settings=settings, activities=activities)
    await schedule_recommendations(client, settings)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    log.info("worker polling task queue %r at %s", settings.task_queue, settings.temporal_address)
    async with worker:
        await stop.wait()
        log.info("shutting down: finishing in-flight activities")
    await http.aclose()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
