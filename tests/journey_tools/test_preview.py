"""`cartnudge journeys preview`: every message of a version, as a person sees it in a browser."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route, expect

from cli.errors import CommandError
from cli.main import run
from contract.carts import CART_EXAMPLE
from journey_schema.journey_files import load_draft
from journey_schema.walk import send_steps
from rendering.sms import sms_segments
from settings import Settings
from tests.support.links import short_ids
from tracking.tokens import InvalidToken, verify

REPO = Path(__file__).resolve().parents[2]
JOURNEYS = REPO / "journeys"
# Screenshots a person can look at after the run; ignored by git.
ARTIFACTS = REPO / "tests" / "artifacts"
PUBLIC_URL = "https://cartnudge.shop.example"
SECRET = "a-deployment-secret-of-at-least-32-characters"


def deployment(journeys: Path = JOURNEYS, **changes: Any) -> Settings:
    return Settings(
        **changes,
        journeys_dir=journeys,
        database_url="sqlite+aiosqlite:///:memory:",
        public_url=PUBLIC_URL,
        secret_key=SECRET,
    )


async def preview(*argv: str, journeys: Path = JOURNEYS, **settings: Any) -> str:
    out = io.StringIO()
    await run(["journeys", "preview", *argv], settings=deployment(journeys, **settings), out=out)
    return out.getvalue()


def slug(path: str) -> str:
    return path.replace("[", "-").replace("].", "-").replace("]", "").replace(".", "-")


def expected_files(journey: str, version: int) -> list[str]:
    """The files of every channel of every send step, read from the version itself."""
    loaded = load_draft(JOURNEYS, journey, version)
    suffixes = {
        "email": ["email.subject.txt", "email.html", "email.txt"],
        "sms": ["sms.txt"],
        "push": ["push.title.txt", "push.txt"],
        "webhook": ["webhook.json"],
    }
    return [
        f"{slug(path)}.{suffix}"
        for path, step in send_steps(loaded.definition.steps)
        for channel in step.send.channels
        for suffix in suffixes[channel]
    ]


async def offline_page(browser: Browser) -> Page:
    """A page that loads local files only: a preview's open pixel and links stay unfetched."""
    page = await browser.new_page()

    async def local_only(route: Route) -> None:
        if route.request.url.startswith("file://"):
            await route.continue_()
        else:
            await route.abort()

    await page.route("**/*", local_only)
    return page


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


@pytest.mark.parametrize(
    ("journey", "version"), [("abandoned_cart", 2), ("abandoned_cart", 3), ("demo", 1)]
)
async def test_every_send_step_is_written(journey: str, version: int, tmp_path: Path) -> None:
    output = await preview(journey, str(version), "--out", str(tmp_path))

    files = expected_files(journey, version)
    assert files, "the journey has send steps"
    for name in files:
        assert (tmp_path / name).read_text(encoding="utf-8").strip(), f"{name} is empty"
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for name in files:
        assert f'href="{name}"' in index
    assert f"wrote {tmp_path / 'index.html'}" in output
    # the release `journeys publish` makes of these files
    release = load_draft(JOURNEYS, journey, version)
    assert output.startswith(f"{journey} v{version} (release {release.short_id}) for ")


async def test_a_person_sees_the_steps_and_the_email(browser: Browser, tmp_path: Path) -> None:
    output = await preview("abandoned_cart", "v2", "--out", str(tmp_path))
    sms = (tmp_path / "steps-2-else-0.sms.txt").read_text(encoding="utf-8").strip()
    segments = sms_segments(sms)
    page = await offline_page(browser)

    await page.goto((tmp_path / "index.html").as_uri())

    rows = page.locator("#messages tr.message")
    await expect(rows).to_have_count(6)  # reminder, staff, still_thinking, nudge x2, last_chance
    await expect(rows.nth(0)).to_contain_text("steps[0]")
    await expect(rows.nth(0)).to_contain_text("Emma, you left something in your cart")
    await expect(rows.nth(1)).to_contain_text("cart.total >= 5000 → webhook staff")
    await expect(rows.nth(2)).to_contain_text("steps[2].then[1]")
    await expect(rows.nth(2)).to_contain_text("clicked r1 within 1d → still_thinking")
    sms_row = rows.filter(has_text="sms").first
    await expect(sms_row).to_contain_text("steps[2].else[0]")
    await expect(sms_row).to_contain_text("not clicked r1 within 1d → nudge")
    await expect(sms_row).to_contain_text(f"{segments} with the opt-out line")
    await expect(sms_row).to_contain_text("Reply STOP to opt out.")
    assert f"{segments} with the opt-out line" in output
    await screenshot(page, "preview-index.png")

    await rows.nth(0).get_by_role("link", name="HTML").click()

    assert page.url.endswith("steps-0.email.html")
    await expect(page.get_by_text("Hi Emma,")).to_be_visible()
    await expect(page.get_by_role("link", name="Running shoes", exact=True).last).to_be_visible()
    await expect(page.get_by_text("$89.90").first).to_be_visible()
    image = page.get_by_role("img", name="Running shoes")
    assert await image.evaluate("img => img.complete && img.naturalWidth > 0")
    await screenshot(page, "preview-email.png")
    await page.close()


async def test_every_arm_of_a_split_is_previewed_with_its_arm(tmp_path: Path) -> None:
    output = await preview("abandoned_cart", "3", "--locale", "tr-TR", "--out", str(tmp_path))

    lines = output.splitlines()
    assert lines[1] == "  holdout 10%: that share of customers is sent none of these messages"
    control = next(line for line in lines if line.lstrip().startswith("steps[0].arms.reminder[0]"))
    variant = next(line for line in lines if line.lstrip().startswith("steps[0].arms.help[0]"))
    assert "first_subject: arm reminder (50%, control) → reminder" in control
    assert "first_subject: arm help (50%) → reminder_help" in variant
    assert '"Siparişinle ilgili yardımcı olabilir miyiz?"' in variant
    nudge = next(
        line for line in lines if line.lstrip().startswith("steps[0].arms.help[1].else[0]")
    )
    assert "first_subject: arm help (50%) and not clicked h1 within 1d → nudge" in nudge
    subject = tmp_path / "steps-0-arms-help-0.email.subject.txt"
    assert (
        subject.read_text(encoding="utf-8").strip() == "Siparişinle ilgili yardımcı olabilir miyiz?"
    )
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "holdout 10%: that share of customers is sent none of these messages." in index
    assert "first_subject: arm help (50%) → reminder_help" in index


async def test_locale_renders_the_turkish_templates(browser: Browser, tmp_path: Path) -> None:
    await preview("abandoned_cart", "2", "--locale", "tr-TR", "--out", str(tmp_path))
    page = await offline_page(browser)

    await page.goto((tmp_path / "steps-0.email.html").as_uri())

    await expect(page.get_by_text("Merhaba Ayşe,")).to_be_visible()
    await expect(page.get_by_text("Koşu Ayakkabısı").first).to_be_visible()
    await expect(page.get_by_text("₺1.299,90").first).to_be_visible()
    sms = (tmp_path / "steps-2-else-0.sms.txt").read_text(encoding="utf-8")
    assert sms.startswith(
        f"Merhaba Ayşe, sepetin seni bekliyor. Alışverişini tamamla: {PUBLIC_URL}/t/s/"
    )
    assert sms.rstrip().endswith("SMS almamak için RET yazıp yanıtlayın.")
    await page.close()


async def test_a_given_cart_is_rendered_as_the_api_maps_it(tmp_path: Path) -> None:
    cart: dict[str, Any] = json.loads(json.dumps(CART_EXAMPLE))
    cart["customer"] |= {"first_name": "Zeynep", "email": "zeynep@example.com"}
    cart["items"].append(
        {"sku": "YOGA-1", "name": "Yoga Matı", "quantity": 2, "unit_price": "450.00"}
    )
    cart["total"] = "2199.90"
    (tmp_path / "cart.json").write_text(json.dumps(cart), encoding="utf-8")

    output = await preview(
        "abandoned_cart", "2", "--cart", str(tmp_path / "cart.json"), "--out", str(tmp_path / "out")
    )

    html = (tmp_path / "out" / "steps-0.email.html").read_text(encoding="utf-8")
    assert "Merhaba Zeynep," in html  # the cart's locale, tr-TR
    assert "Yoga Matı" in html and "₺900,00" in html
    assert 'src="https://shop.example/i/1.jpg"' in html
    body = json.loads((tmp_path / "out" / "steps-1-then-0.webhook.json").read_text())
    assert body["shop"] == "demo" and body["cart"]["total"] == "2199.90"
    assert body["cart"]["customer"]["push_token"] is None  # no stand-in address posted
    # the example customer gave no SMS consent: the SMS would not go out
    assert "this customer has no sms consent: skipped at send time" in output


async def test_locale_overrides_a_given_cart(tmp_path: Path) -> None:
    (tmp_path / "cart.json").write_text(json.dumps(CART_EXAMPLE), encoding="utf-8")

    await preview(
        "demo", "1", "--cart", str(tmp_path / "cart.json"), "--locale", "en", "--out", str(tmp_path)
    )

    assert "Hi Ayşe," in (tmp_path / "steps-0.email.html").read_text(encoding="utf-8")


async def test_links_have_their_real_length_and_are_refused_by_the_deployment(
    tmp_path: Path,
) -> None:
    await preview("abandoned_cart", "2", "--out", str(tmp_path))
    email = (tmp_path / "steps-0.email.txt").read_text(encoding="utf-8")

    link = re.search(rf"{re.escape(PUBLIC_URL)}/t/c/(\S+)", email)

    assert link is not None, email
    token = link.group(1)
    payload_part, _, signature = token.partition(".")
    assert len(signature) == 43  # an HMAC-SHA256, as in every real link
    assert "cart-preview-preview-cart-0001" in decoded(payload_part)
    with pytest.raises(InvalidToken):  # a click in a preview counts nowhere
        verify(token, SECRET)


async def test_an_sms_shows_its_short_link_and_the_segments_it_is_billed(
    tmp_path: Path,
) -> None:
    output = await preview("abandoned_cart", "2", "--locale", "tr-TR", "--out", str(tmp_path))
    sms = (tmp_path / "steps-2-else-0.sms.txt").read_text(encoding="utf-8").strip()

    [id_] = short_ids(sms)
    assert f"{PUBLIC_URL}/t/s/{id_}" in sms and "/t/c/" not in sms
    # the Turkish nudge with its short link and opt-out line: 2 segments, not 7
    assert str(sms_segments(sms)) == "3 segments (UCS-2, 145 characters)"
    nudge = next(line for line in output.splitlines() if "→ nudge" in line)
    assert "3 segments (UCS-2, 145 characters) with the opt-out line" in nudge


def decoded(payload_part: str) -> str:
    return base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)).decode()


async def test_a_slack_target_is_shown_as_the_slack_message(tmp_path: Path) -> None:
    staff = {"url": "https://hooks.slack.com/services/T/B/x", "format": "slack"}

    output = await preview(
        "abandoned_cart", "2", "--out", str(tmp_path), webhook_targets={"staff": staff}
    )

    body = json.loads((tmp_path / "steps-1-then-0.webhook.json").read_text(encoding="utf-8"))
    assert list(body) == ["text"]
    assert body["text"].startswith("*Cart preview-cart-0001* at preview: 138.90 USD, 4 items")
    assert "the body POSTed to target 'staff' (slack)" in output
    assert "CARTNUDGE_WEBHOOK_TARGETS" not in output


async def test_push_and_a_missing_address(tmp_path: Path) -> None:
    journeys = tmp_path / "journeys"
    shutil.copytree(JOURNEYS / "demo", journeys / "demo")
    ping = journeys / "demo" / "templates" / "ping"
    ping.mkdir()
    (ping / "en.push_title").write_text("{{ customer.first_name }}, your cart misses you")
    (ping / "en.push").write_text("{{ item_count }} items, {{ total }}: tap to finish.")
    v1 = (journeys / "demo" / "v1.yaml").read_text(encoding="utf-8")
    v2 = v1.replace("version: 1", "version: 2").replace(
        "  - wait: 5s\n", "  - wait: 5s\n  - send: {channel: push, template: ping, id: p1}\n"
    )
    (journeys / "demo" / "v2.yaml").write_text(v2, encoding="utf-8")

    output = await preview("demo", "2", "--out", str(tmp_path / "out"), journeys=journeys)

    out = tmp_path / "out"
    assert (out / "steps-3.push.title.txt").read_text() == "Emma, your cart misses you\n"
    assert (out / "steps-3.push.txt").read_text() == "3 items, $138.90: tap to finish.\n"
    assert "no push provider is configured here: skipped at send time" in output
    assert "this customer has no push token: skipped at send time" in output


def invalid_journeys(tmp_path: Path) -> Path:
    journeys = tmp_path / "journeys"
    shutil.copytree(JOURNEYS / "demo", journeys / "demo")
    v1 = (journeys / "demo" / "v1.yaml").read_text(encoding="utf-8")
    broken = v1.replace("version: 1", "version: 2").replace("template: nudge", "template: nudj")
    (journeys / "demo" / "v2.yaml").write_text(broken, encoding="utf-8")
    return journeys


@pytest.mark.parametrize(
    ("argv", "cart", "error"),
    [
        (["nope", "1"], None, "there is no journey 'nope' in "),
        (["demo", "7"], None, "journey 'demo' has no version 7 (valid versions: v1, v3)"),
        (
            ["demo", "2"],
            None,
            "version 2 of journey 'demo' is invalid: {tmp}/journeys/demo/v2.yaml: steps[1].else[0]:"
            " template 'nudj' does not exist",
        ),
        (["demo", "two"], None, "version 'two': write the version number, e.g. 2 or v2"),
        (["demo", "1", "--locale", "Turkish"], None, "--locale 'Turkish': write a locale such"),
        (["demo", "1", "--cart", "{tmp}/nope.json"], None, "{tmp}/nope.json: can not read it: No"),
        (
            ["demo", "1", "--cart", "{tmp}/cart.json"],
            "{not json",
            "{tmp}/cart.json: not valid JSON",
        ),
        (
            ["demo", "1", "--cart", "{tmp}/cart.json"],
            json.dumps({**CART_EXAMPLE, "customer": {"id": "c-1", "email": "not-an-email"}}),
            "{tmp}/cart.json: customer.email: String should match pattern",
        ),
        (
            ["demo", "1", "--cart", "{tmp}/cart.json"],
            json.dumps({**CART_EXAMPLE, "total": 12.5}),
            "{tmp}/cart.json: total: Value error, money must be a decimal string",
        ),
    ],
)
async def test_bad_input_is_one_line(
    argv: list[str], cart: str | None, error: str, tmp_path: Path
) -> None:
    if cart is not None:
        (tmp_path / "cart.json").write_text(cart, encoding="utf-8")
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]

    with pytest.raises(CommandError) as raised:
        await preview(*argv, "--out", str(tmp_path / "out"), journeys=invalid_journeys(tmp_path))

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(error.replace("{tmp}", str(tmp_path))), message
    assert not (tmp_path / "out").exists()


def test_the_command_prints_the_line_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "cart.json").write_text(json.dumps({**CART_EXAMPLE, "total": 12.5}))
    env = {name: value for name, value in os.environ.items() if not name.startswith("CARTNUDGE_")}
    command = [sys.executable, "-c", "from cli.main import main; main()", "journeys", "preview"]

    done = subprocess.run(
        [*command, "demo", "1", "--cart", "cart.json", "--out", "out"],
        cwd=tmp_path,
        env={
            **env,
            "PYTHONPATH": str(REPO),
            "CARTNUDGE_JOURNEYS_DIR": str(JOURNEYS),
            "CARTNUDGE_DATABASE_URL": "sqlite+aiosqlite:///:memory:",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "cartnudge: cart.json: total: Value error, money must be a decimal string such as"
        ' "12.90", not a JSON number\n'
    )
    assert not (tmp_path / "out").exists()


async def test_a_step_with_an_offer_is_previewed_with_a_sample_code(tmp_path: Path) -> None:
    journeys = tmp_path / "journeys"
    shutil.copytree(JOURNEYS / "demo", journeys / "demo")
    offer = journeys / "demo" / "templates" / "offer"
    offer.mkdir()
    (offer / "en.push_title").write_text("{{ coupon.value }} off for you")
    (offer / "en.push").write_text("Use {{ coupon.code }} until {{ coupon.expires_at }}")
    v1 = (journeys / "demo" / "v1.yaml").read_text(encoding="utf-8")
    v2 = v1.replace("version: 1", "version: 2").replace(
        "  - wait: 5s\n",
        "  - wait: 5s\n  - send: {channel: push, template: offer, id: p1,"
        " coupon: {percent: 10, valid: 48h}}\n",
    )
    (journeys / "demo" / "v2.yaml").write_text(v2, encoding="utf-8")

    await preview("demo", "2", "--out", str(tmp_path / "out"), journeys=journeys)

    out = tmp_path / "out"
    assert (out / "steps-3.push.title.txt").read_text() == "10% off for you\n"
    assert (out / "steps-3.push.txt").read_text().startswith("Use SAMPLE-10OFF until ")


async def test_the_shipped_offer_shows_a_sample_code_and_products_bought_with_the_cart(
    tmp_path: Path,
) -> None:
    await preview("abandoned_cart", "4", "--out", str(tmp_path))

    offer = (tmp_path / "steps-3-then-0.email.txt").read_text(encoding="utf-8")
    plain = (tmp_path / "steps-3-else-0.email.txt").read_text(encoding="utf-8")
    reminder = (tmp_path / "steps-0.email.txt").read_text(encoding="utf-8")
    assert "SAMPLE-10OFF" in offer and "10% off" in offer
    assert "SAMPLE-10OFF" not in plain  # the branch for customers who had a code lately
    assert "You might also like:" in reminder and "Running tights" in reminder
    assert "only a few left" in reminder and "(was " in reminder  # the cart as it is now
