"""SMTP: the MIME message built from an EmailOut, delivered to a real server on loopback."""

from __future__ import annotations

import socket

import pytest

from channels.errors import PermanentChannelError, TransientChannelError
from channels.smtp import SmtpEmailSender, email_message
from tests.channels import make_email
from tests.support.smtp import SmtpServer


def test_the_message_carries_the_email_and_its_stable_id() -> None:
    message = email_message(make_email())

    assert message["From"] == "Koşu Dükkanı <hello@shop.example>"
    assert message["To"] == "Ayşe <ayse@example.com>"
    assert message["Subject"] == "Sepetinizde ürünler var"
    assert message["List-Unsubscribe"] == "<https://cartnudge.test/u/abc>"
    assert message["X-Cartnudge-Key"] == "cart-demo_shop-c1:run-1:steps[0]"
    assert message["Message-ID"] == email_message(make_email())["Message-ID"]
    assert (
        message["Message-ID"]
        != email_message(make_email(idempotency_key="cart-demo_shop-c1:run-1:steps[1]"))[
            "Message-ID"
        ]
    )
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


def test_a_recipient_without_name_is_the_bare_address() -> None:
    assert email_message(make_email(to_name=None))["To"] == "ayse@example.com"


async def test_delivers_with_headers_and_returns_message_id_and_reply(
    smtp_server: SmtpServer,
) -> None:
    sender = SmtpEmailSender.from_url(smtp_server.url)

    first = await sender.send(make_email())
    again = await sender.send(make_email())

    [received, received_again] = await smtp_server.wait_for_messages(2)
    message_id = received["Message-ID"]
    assert message_id.endswith("@cartnudge>")
    assert received_again["Message-ID"] == message_id  # a duplicate is recognisable as one
    assert first == f"{message_id} Message accepted for delivery"
    assert first == again
    assert received["List-Unsubscribe"] == "<https://cartnudge.test/u/abc>"
    assert received["To"] == "Ayşe <ayse@example.com>"
    html, text = received.get_body(("html",)), received.get_body(("plain",))
    assert html is not None and html.get_content().strip() == "<p>Merhaba</p>"
    assert text is not None and text.get_content().strip() == "Merhaba"
    assert smtp_server.envelopes[0].rcpt_tos == ("ayse@example.com",)


async def test_a_mailbox_refused_for_good_is_permanent(smtp_server: SmtpServer) -> None:
    smtp_server.refuse["ayse@example.com"] = "550 5.1.1 no such mailbox"
    with pytest.raises(PermanentChannelError, match="SMTP 550"):
        await SmtpEmailSender.from_url(smtp_server.url).send(make_email())


async def test_a_mailbox_refused_for_now_is_transient(smtp_server: SmtpServer) -> None:
    smtp_server.refuse["ayse@example.com"] = "451 4.3.0 try later"
    with pytest.raises(TransientChannelError, match="SMTP 451"):
        await SmtpEmailSender.from_url(smtp_server.url).send(make_email())


async def test_a_server_that_is_not_there_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: the connection is refused
        sender = SmtpEmailSender(host="127.0.0.1", port=port, timeout=5)
        with pytest.raises(TransientChannelError):
            await sender.send(make_email())


def test_a_repeat_would_be_a_second_email() -> None:
    assert SmtpEmailSender.repeat_is_harmless is False


async def test_only_deliver_hands_the_mail_over(smtp_server: SmtpServer) -> None:
    """prepare: up to RCPT TO, the server holds no mail yet; deliver: DATA, the mail is in."""
    sender = SmtpEmailSender.from_url(smtp_server.url)

    prepared = await sender.prepare(make_email())
    assert smtp_server.rcpt_seen.is_set()
    assert smtp_server.messages == []
    try:
        answer = await prepared.deliver()
    finally:
        await prepared.close()

    [received] = await smtp_server.wait_for_messages(1)
    assert answer == f"{received['Message-ID']} Message accepted for delivery"
    assert smtp_server.envelopes[0].rcpt_tos == ("ayse@example.com",)


async def test_a_recipient_refused_for_good_is_known_before_any_data(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.refuse["ayse@example.com"] = "550 5.1.1 no such mailbox"

    with pytest.raises(PermanentChannelError, match="SMTP 550"):
        await SmtpEmailSender.from_url(smtp_server.url).prepare(make_email())
    assert not smtp_server.data_seen.is_set()


async def test_no_answer_to_the_data_means_the_server_may_have_it(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.data_open.clear()  # the mail comes in, the answer to its final "." does not
    sender = SmtpEmailSender(host=smtp_server.host, port=smtp_server.port, timeout=0.5)
    prepared = await sender.prepare(make_email())

    with pytest.raises(TransientChannelError) as lost:
        await prepared.deliver()
    await prepared.close()
    smtp_server.data_open.set()

    assert lost.value.maybe_delivered  # never resent blindly: here the server had it
    assert len(await smtp_server.wait_for_messages(1)) == 1


async def test_a_transaction_given_up_before_deliver_leaves_no_mail(
    smtp_server: SmtpServer,
) -> None:
    """Another attempt got there first: the prepared transaction is let go, mid-DATA."""
    prepared = await SmtpEmailSender.from_url(smtp_server.url).prepare(make_email())

    await prepared.close()
    again = await SmtpEmailSender.from_url(smtp_server.url).send(make_email())

    [received] = await smtp_server.wait_for_messages(1)
    assert again.startswith(str(received["Message-ID"]))
    assert len(smtp_server.messages) == 1
