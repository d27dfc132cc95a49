"""How the API, the worker and the CLI log: text for a terminal, JSON lines for a collector.

configure_logging(settings)   one handler on the root logger, on stderr, as
                              `log_format` says; called once by each process at start
JsonLines                     one JSON object per line: time, level, logger, message,
                              exception, and the Temporal context below when there is one
TemporalContext               a filter: every record logged inside an activity, by any
                              logger, carries workflow_id, run_id and activity_type (and a
                              workflow's own logger's records their workflow_id and run_id)
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from temporalio import activity, workflow

from settings import Settings

TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
CONTEXT_FIELDS = ("workflow_id", "run_id", "activity_type", "workflow_type")
# Uvicorn gives its loggers their own handlers; in JSON they log through ours instead.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class TemporalContext(logging.Filter):
    """Adds the workflow and run (and activity type) a record was logged from."""

    def filter(self, record: logging.LogRecord) -> bool:
        if activity.in_activity():
            info = activity.info()
            record.workflow_id = info.workflow_id
            record.run_id = info.workflow_run_id
            record.activity_type = info.activity_type
            record.workflow_type = info.workflow_type
        else:
            # workflow.logger's records carry the workflow's info in `extra` (the filter
            # runs outside the workflow sandbox, where workflow.info() is not available)
            details = getattr(record, "temporal_workflow", None)
            if isinstance(details, dict):
                record.workflow_id = details.get("workflow_id")
                record.run_id = details.get("run_id")
                record.workflow_type = details.get("workflow_type")
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(settings: Settings, *, level: int = logging.INFO) -> None:
    """Log to stderr as `settings.log_format` says; replaces any handler set before."""
    handler = logging.StreamHandler()
    handler.addFilter(TemporalContext())
    json_lines = settings.log_format == "json"
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    if json_lines:
        for name in UVICORN_LOGGERS:
            uvicorn = logging.getLogger(name)
            uvicorn.handlers.clear()
            uvicorn.propagate = True
        # The context is in its own fields: no repeat of it at the end of each message.
        activity.logger.activity_info_on_message = False
        workflow.logger.workflow_info_on_message = False
