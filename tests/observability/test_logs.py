"""CARTNUDGE_LOG_FORMAT=json: one JSON object per line, activities' with their workflow."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from observability.logs import configure_logging
from observability.runtime import worker_runtime
from tests.observability.conftest import messaged_cart, obs_settings, stack
from tests.support.api import CART, WORKFLOW_ID
from tests.support.smtp import SmtpServer
from tests.support.temporal import settings_for_tests


@pytest.mark.usefixtures("restore_logging")
async def test_an_activitys_lines_carry_its_workflow_and_run(
    temporal_env: WorkflowEnvironment,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = obs_settings(smtp_server, log_format="json")
    configure_logging(settings)  # what worker.py does first
    async with stack(
        settings,
        env=temporal_env,
        engine=db_engine,
        session_factory=session_factory,
        smtp_server=smtp_server,
        runtime=worker_runtime(settings),
    ) as running:
        answer = await running.api.put(f"/v1/carts/{CART}", json=messaged_cart())
        assert answer.status_code == 202, answer.text
        run_id = (await running.client.get_workflow_handle(WORKFLOW_ID).describe()).run_id
        # 1 h quiet triggers it (the release chosen, a local activity that logs which); the
        # first reminder may wait out the night (quiet hours, 12 h)
        await temporal_env.sleep(timedelta(hours=13, minutes=5))
        await smtp_server.wait_for_messages(1)

    # every line the processes wrote is one JSON object
    lines = [json.loads(text) for text in capsys.readouterr().err.splitlines()]
    (chosen,) = [line for line in lines if line.get("activity_type") == "choose_release"]
    assert (chosen["workflow_id"], chosen["run_id"]) == (WORKFLOW_ID, run_id)
    assert (chosen["level"], chosen["logger"]) == ("INFO", "temporalio.activity")
    assert "gets abandoned_cart" in chosen["message"]
    assert "'activity_id'" not in chosen["message"]  # the context is in fields, not repeated
    assert {"time", "level", "logger", "message"} <= set(chosen)


@pytest.mark.usefixtures("restore_logging")
def test_an_error_is_one_line_with_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(settings_for_tests(log_format="json"))
    try:
        int("not a number")
    except ValueError:
        logging.getLogger("cartnudge.api").exception("could not store the cart")

    (text,) = capsys.readouterr().err.splitlines()
    line = json.loads(text)
    assert (line["level"], line["logger"]) == ("ERROR", "cartnudge.api")
    assert line["message"] == "could not store the cart"
    assert "ValueError: invalid literal" in line["exception"]
    assert "workflow_id" not in line  # not from an activity


@pytest.mark.usefixtures("restore_logging")
def test_text_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(settings_for_tests())
    logging.getLogger("cartnudge.worker").warning("worker polling")

    (text,) = capsys.readouterr().err.splitlines()
    assert text.endswith("cartnudge.worker WARNING worker polling")
