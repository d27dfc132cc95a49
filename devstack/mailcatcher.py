"""A local SMTP catcher for the dev stack: every mail lands in a folder instead of an inbox.

    python -m devstack.mailcatcher [--host 127.0.0.1] [--port 1025] [--outbox data/outbox]

Each mail is written as `<time>-<recipient>.eml`, with its HTML part beside it as `.html`
so it can be opened in a browser.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import logging
import re
import signal
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP

log = logging.getLogger("cartnudge.mailcatcher")


def _safe(text: str) -> str:
    return re.sub(r"[^\w@.+-]", "_", text)[:100] or "unknown"


class OutboxHandler:
    """aiosmtpd handler that writes each received mail into `outbox`."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        recipients: list[str] = list(envelope.rcpt_tos)
        self.save(message, recipients)
        return "250 Message accepted for delivery"

    def save(self, message: email.message.Message, recipients: list[str]) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        name = f"{stamp}-{_safe(recipients[0] if recipients else 'unknown')}"
        self.outbox.mkdir(parents=True, exist_ok=True)
        eml = self.outbox / f"{name}.eml"
        eml.write_bytes(message.as_bytes())
        html = message.get_body(("html",)) if isinstance(message, EmailMessage) else None
        if html is not None:
            (self.outbox / f"{name}.html").write_text(str(html.get_content()), encoding="utf-8")
        log.info("mail to %s: %s  (%s)", ", ".join(recipients), message["Subject"], eml.name)
        return eml


async def serve(host: str, port: int, outbox: Path) -> None:
    """Serve until SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    handler = OutboxHandler(outbox)
    server = await loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True, hostname="mailcatcher"), host, port
    )
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info("mail catcher on smtp://%s:%d, writing to %s/", host, port, outbox)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--outbox", type=Path, default=Path("data/outbox"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s mail  %(message)s", datefmt="%X")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    asyncio.run(serve(args.host, args.port, args.outbox))


if __name__ == "__main__":
    main()
