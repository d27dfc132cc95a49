"""The SMTP fixture really speaks SMTP and hands back parsed messages with their envelope."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
import pytest

from tests.support.smtp import SmtpServer, body_text


async def test_keeps_each_message_parsed_with_its_envelope(smtp_server: SmtpServer) -> None:
    message = EmailMessage()
    message["From"] = "shop@example.com"
    message["To"] = "Ayşe <ayse@example.com>"
    message["Subject"] = "Sepetinizde ürünler var"
    message.set_content("Koşu Ayakkabısı — 1.299,90 ₺")
    message.add_alternative("<p>Koşu Ayakkabısı</p>", subtype="html")

    await aiosmtplib.send(
        message,
        hostname=smtp_server.host,
        port=smtp_server.port,
        recipients=["ayse@example.com", "audit@example.com"],
    )

    [received] = await smtp_server.wait_for_messages(1)
    assert received["Subject"] == "Sepetinizde ürünler var"
    assert body_text(received, "html").strip() == "<p>Koşu Ayakkabısı</p>"
    assert smtp_server.envelopes[0].rcpt_tos == ("ayse@example.com", "audit@example.com")
    assert smtp_server.url == f"smtp://127.0.0.1:{smtp_server.port}"


async def test_waiting_for_more_than_arrived_fails_with_what_came(
    smtp_server: SmtpServer,
) -> None:
    with pytest.raises(AssertionError, match="expected 1 message"):
        await smtp_server.wait_for_messages(1, timeout=0.1)
