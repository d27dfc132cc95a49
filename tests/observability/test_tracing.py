"""One trace follows a cart event from the HTTP request into its workflow and activities."""

from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from tests.factories import make_customer
from tests.observability.conftest import MESSAGED, journey_end, messaged_cart, obs_settings, stack
from tests.support.api import CART, SHOP, WORKFLOW_ID
from tests.support.smtp import SmtpServer
from tracking.unsubscribe import UnsubscribePayload, sign_unsubscribe

CUSTOMER_EMAIL = str(make_customer().email)


async def test_the_cart_put_and_its_journey_are_one_trace(
    spans: InMemorySpanExporter,
    temporal_env: WorkflowEnvironment,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
) -> None:
    settings = obs_settings(smtp_server, otlp_endpoint="http://127.0.0.1:4318")
    async with stack(
        settings,
        env=temporal_env,
        engine=db_engine,
        session_factory=session_factory,
        smtp_server=smtp_server,
    ) as running:
        answer = await running.api.put(f"/v1/carts/{CART}", json=messaged_cart())
        assert answer.status_code == 202, answer.text
        await journey_end(temporal_env, WORKFLOW_ID)

    assert smtp_server.messages, "the journey sent nothing: nothing to trace"
    finished = spans.get_finished_spans()
    (request,) = [
        s for s in finished if s.kind is SpanKind.SERVER and s.name == "PUT /v1/carts/{cart_id}"
    ]
    assert request.context is not None
    trace_id = request.context.trace_id
    in_trace = {s.name for s in finished if s.context and s.context.trace_id == trace_id}
    # the client's call (the API), then the worker: the workflow run and its activities
    assert {
        "SignalWithStartWorkflow:CartJourney",
        "RunWorkflow:CartJourney",
        "StartActivity:send_message",
        "RunActivity:send_message",
        "RunActivity:record_outcome",
    } <= in_trace
    # nothing personal rides on a span: not the customer's address, not their id
    for span in finished:
        for value in (span.attributes or {}).values():
            assert CUSTOMER_EMAIL not in str(value) and MESSAGED not in str(value), span.name


async def test_without_an_otlp_endpoint_nothing_is_traced(
    spans: InMemorySpanExporter,
    temporal_env: WorkflowEnvironment,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
) -> None:
    async with stack(
        obs_settings(smtp_server),
        env=temporal_env,
        engine=db_engine,
        session_factory=session_factory,
        smtp_server=smtp_server,
    ) as running:
        answer = await running.api.put(f"/v1/carts/{CART}", json=messaged_cart())

    assert answer.status_code == 202, answer.text
    # FastAPI's own telemetry records on whatever provider the process has (this test
    # process has one; a cartnudge process without an endpoint has none): ours adds nothing.
    ours = [
        (span.name, span.instrumentation_scope.name)
        for span in spans.get_finished_spans()
        if span.instrumentation_scope is not None
        and span.instrumentation_scope.name.startswith(("temporalio", "opentelemetry."))
    ]
    assert ours == []


async def test_request_spans_name_the_route_never_the_customer_in_its_path(
    spans: InMemorySpanExporter,
    temporal_env: WorkflowEnvironment,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
) -> None:
    # A shop whose customer ids are emails, and a customer's unsubscribe link (its token
    # carries the address, base64): neither may reach the trace collector.
    email_id = "ayse.tracing@example.com"
    settings = obs_settings(smtp_server, otlp_endpoint="http://127.0.0.1:4318")
    token = sign_unsubscribe(
        UnsubscribePayload(
            shop=SHOP,
            channel="email",
            address=email_id,
            workflow_id=WORKFLOW_ID,
            run_id="run-1",
            message_id="r1",
        ),
        settings.secret_key.get_secret_value(),
    )
    async with stack(
        settings,
        env=temporal_env,
        engine=db_engine,
        session_factory=session_factory,
        smtp_server=smtp_server,
    ) as running:
        consent = await running.api.put(
            f"/v1/customers/{email_id}/consent?shop={SHOP}",
            json={"consent": {"email": True}, "updated_at": "2026-11-22T10:00:00Z"},
            headers={"User-Agent": "Mozilla/5.0 (Ayse's phone)"},
        )
        page = await running.api.get(f"/u/{token}")

    assert consent.status_code == 204, consent.text
    assert page.status_code in (200, 404), page.text
    servers = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert {s.name for s in servers} >= {
        "PUT /v1/customers/{customer_id}/consent",
        "GET /u/{token}",
    }
    for span in servers:
        values = " ".join(str(value) for value in (span.attributes or {}).values())
        assert email_id not in values, (span.name, span.attributes)
        assert token[:24] not in values, (span.name, span.attributes)
        assert "Ayse's phone" not in values and "127.0.0.1" not in values, span.attributes
    consent_span = next(s for s in servers if s.name.startswith("PUT /v1/customers"))
    assert (consent_span.attributes or {})["http.route"] == "/v1/customers/{customer_id}/consent"
