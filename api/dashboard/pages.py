"""The dashboard's one Jinja2 environment (sandboxed, autoescaped, StrictUndefined), and
pages rendered from it with the headers every dashboard page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from api.dashboard import charts, formatting

TEMPLATES = Path(__file__).parent / "templates"

# Pages hold a shop's numbers: never cached, never framed, no script at all.
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:;"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}

STEP_KINDS = {
    "wait": "Wait",
    "send": "Send",
    "wait_for": "Wait for",
    "branch": "Branch",
    "split": "Split",
    "exit": "Exit",
    "coupon": "Coupon",
    "alert": "Alert",
}


def create_environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        count=formatting.count,
        percent=formatting.percent,
        money=formatting.money,
        points=formatting.points,
        signed_percent=formatting.signed_percent,
        percent_range=formatting.percent_range,
        money_range=formatting.money_range,
        lift_text=formatting.lift_text,
        revenue_lift_text=formatting.revenue_lift_text,
        p_value=formatting.p_value,
        when=formatting.when,
    )
    environment.globals.update(
        daily_revenue_chart=charts.daily_revenue_chart,
        interval_bar=charts.interval_bar,
        scale_for=charts.scale_for,
        step_kinds=STEP_KINDS,
    )
    return environment


class Pages:
    def __init__(self, environment: SandboxedEnvironment | None = None) -> None:
        self._environment = environment or create_environment()

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self._environment.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status_code, headers=HEADERS)
