"""Watch four carts run the demo journey in under a minute: `make demo` while `make run` is up.

Sends four carts for shop `demo` (whose journey waits seconds, not hours), clicks the link in
one cart's first email, places an order for another, and prints each cart's timeline from
`GET /v1/carts/{id}/journey`. The demo journey splits its first wait and holds one customer
in five out: the customers are chosen so that three get messages and the fourth, held
out, gets none and buys anyway. The dashboard shows them all at the end.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx

from contract.carts import CartItem, CartSnapshot, Consent, Customer
from devstack.shops import DEMO_DASHBOARD_PASSWORD, DEMO_DASHBOARD_USER, DEMO_SHOP, DEV_KEY_FILE
from experiments.assignment import is_held_out
from journey_schema.journey_files import load_draft
from journey_schema.models import JourneyVersion
from settings import Settings
from workflows.payloads import JourneyStatus

SHOP = DEMO_SHOP
ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 55.0  # seconds; the journey itself takes about 35
SETTLED = {JourneyStatus.FINISHED, JourneyStatus.AWAITING_PURCHASE}
# A pool code of the demo shop (devstack/demo_data.py) and the recommendations' heading.
COUPON_CODE = re.compile(r"\bDEMO10-[0-9A-F]{6}\b")
RECOMMENDED = ("You might also like:", "Bunlar da ilgini çekebilir:")  # _recommendations.txt
CLICK_LINK = re.compile(r"""https?://[^\s"'<>]+/t/c/[^\s"'<>]+""")


class DemoFailed(Exception):
    pass


@dataclass
class DemoCart:
    who: str
    plan: str
    run: str  # date and time of this demo: its carts and mailboxes are new every run
    slug: str
    locale: str
    currency: str
    items: list[tuple[str, str, int, str]]  # sku, name, quantity, unit price
    held_out: bool = False  # the plan: a customer of the journey's holdout
    customer_id: str = ""
    started: float = 0.0

    @property
    def cart_id(self) -> str:
        return f"{self.run}-{self.slug}"

    @property
    def email(self) -> str:
        return f"{self.slug}.{self.run}@example.com"

    @property
    def total(self) -> Decimal:
        return sum((Decimal(price) * quantity for _, _, quantity, price in self.items), Decimal(0))

    def body(self) -> dict[str, Any]:
        """The cart as a shop sends it, built from the API's own model."""
        snapshot = CartSnapshot(
            shop=SHOP,
            updated_at=datetime.now(UTC),
            currency=self.currency,
            total=self.total,
            checkout_url=f"https://shop.example/checkout/{self.cart_id}",
            customer=Customer(
                id=self.customer_id or f"customer-{self.cart_id}",
                email=self.email,
                first_name=self.who,
                locale=self.locale,
                timezone="Europe/Istanbul",
                consent=Consent(email=True),
            ),
            items=[
                CartItem(
                    sku=sku,
                    name=name,
                    quantity=quantity,
                    unit_price=Decimal(price),
                    image_url=f"https://shop.example/i/{sku}.jpg",
                    url=f"https://shop.example/p/{sku}",
                )
                for sku, name, quantity, price in self.items
            ],
        )
        return snapshot.model_dump(mode="json")


def demo_carts(run: str, journey: JourneyVersion | None) -> list[DemoCart]:
    shoes = ("SKU-1", "Koşu Ayakkabısı", 1, "1299.90")
    socks = ("SKU-2", "Spor Çorap", 3, "89.50")
    jacket = ("SKU-3", "Trail running jacket", 1, "149.00")
    tent = ("SKU-4", "Kamp Çadırı", 1, "4250.00")
    lamp = ("SKU-5", "Kamp Feneri", 2, "349.00")
    carts = [
        DemoCart("Ayşe", "clicks the link in her first email", run, "clicks", "tr-TR", "TRY",
                 [shoes, socks]),
        DemoCart("John", "ignores every email", run, "ignores", "en-GB", "EUR", [jacket]),
        DemoCart("Mehmet", "buys after his first email", run, "buys", "tr-TR", "TRY", [tent]),
    ]  # fmt: skip
    if journey is not None and journey.holdout:
        carts.append(
            DemoCart("Zeynep", "is in the holdout, and buys anyway", run, "held", "tr-TR", "TRY",
                     [lamp], held_out=True)
        )  # fmt: skip
    for cart in carts:
        cart.customer_id = _customer_for(cart, journey)
    return carts


def _customer_for(cart: DemoCart, journey: JourneyVersion | None) -> str:
    """A customer id of this run that is in the journey's holdout exactly when the cart's
    plan says so: the holdout is a hash of the customer, so the demo picks the customer."""
    for attempt in range(10_000):
        candidate = f"customer-{cart.cart_id}-{attempt}"
        if journey is None or is_held_out(journey, shop=SHOP, customer_id=candidate) == (
            cart.held_out
        ):
            return candidate
    raise AssertionError("no customer id fits the plan")  # a 20% holdout: a few tries


def demo_journey() -> JourneyVersion | None:
    """The newest version in journeys/demo/: the one `make run` activates."""
    versions = sorted(int(p.stem[1:]) for p in (ROOT / "journeys" / "demo").glob("v*.yaml"))
    if not versions:
        return None
    return load_draft(ROOT / "journeys", "demo", versions[-1]).definition


class Demo:
    def __init__(self, http: httpx.Client, outbox: Path, carts: list[DemoCart]) -> None:
        self.http = http
        self.outbox = outbox
        self.carts = carts
        self.started = time.monotonic()

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:5.1f}s"

    def say(self, text: str) -> None:
        print(f"[{self.elapsed()}] {text}", flush=True)

    def check(self, response: httpx.Response, expected: int) -> httpx.Response:
        if response.status_code != expected:
            raise DemoFailed(
                f"{response.request.method} {response.request.url.path} answered"
                f" {response.status_code}: {response.text[:500]}"
            )
        return response

    def send_carts(self) -> None:
        for cart in self.carts:
            response = self.http.put(f"/v1/carts/{cart.cart_id}", json=cart.body())
            workflow_id = self.check(response, 202).json().get("workflow_id")
            cart.started = time.time()
            self.say(f"cart of {cart.who} sent ({cart.plan}) -> workflow {workflow_id}")

    def first_email(self, cart: DemoCart) -> EmailMessage:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = sorted(self.outbox.glob(f"*-{cart.email}.eml"))
            if found:
                message = message_from_bytes(found[0].read_bytes(), policy=default_policy)
                assert isinstance(message, EmailMessage)
                self.say(f"{cart.who} got an email: {message['Subject']!r}")
                return message
            time.sleep(0.25)
        raise DemoFailed(
            f"no email for {cart.who} in {self.outbox}/ after 30s: is the worker running,"
            " and does CARTNUDGE_SMTP_URL point at the mail catcher?"
        )

    def click_first_email(self, cart: DemoCart) -> None:
        message = self.first_email(cart)
        body = message.get_body(("html",))
        links = CLICK_LINK.findall(str(body.get_content()) if body is not None else "")
        if not links:
            raise DemoFailed(f"the email to {cart.who} has no tracked link (/t/c/...)")
        link = html.unescape(links[0])
        # Not followed: the shop in the demo does not exist, only the redirect matters.
        response = httpx.get(link, follow_redirects=False, timeout=10)
        self.say(
            f"{cart.who} clicks {link[:60]}… -> {response.status_code}"
            f" to {response.headers.get('location', '?')}"
        )

    def order_after_first_email(self, cart: DemoCart) -> None:
        self.first_email(cart)
        self.order(cart)

    def order_while_held_out(self, cart: DemoCart) -> None:
        """The held-out customer buys a little after abandonment; no email came."""
        time.sleep(max(0.0, cart.started + 9 - time.time()))
        state = self.journey(cart) or {}
        self.say(
            f"{cart.who} got no email: held out = {state.get('held_out')}"
            f" ({state.get('current_step') or 'no step'})"
        )
        self.order(cart)

    def order(self, cart: DemoCart) -> None:
        order = {
            "shop": SHOP,
            "order_id": f"order-{cart.cart_id}",
            "cart_id": cart.cart_id,
            "total": str(cart.total),
            "currency": cart.currency,
        }
        self.check(self.http.post("/v1/orders", json=order), 202)
        self.say(f"{cart.who} buys: order {order['order_id']} for {cart.total} {cart.currency}")

    def journey(self, cart: DemoCart) -> dict[str, Any] | None:
        response = self.http.get(f"/v1/carts/{cart.cart_id}/journey", params={"shop": SHOP})
        if response.status_code == 404:
            return None
        state: dict[str, Any] = self.check(response, 200).json()
        return state

    def wait_until_settled(self) -> dict[str, dict[str, Any] | None]:
        self.say("waiting for the journeys to play out (about half a minute)…")
        states: dict[str, dict[str, Any] | None] = {}
        while time.monotonic() - self.started < DEADLINE:
            states = {cart.cart_id: self.journey(cart) for cart in self.carts}
            if all(state and state.get("status") in SETTLED for state in states.values()):
                break
            time.sleep(1)
        return states

    def timeline(self, cart: DemoCart, state: dict[str, Any] | None) -> str:
        lines = [f"{cart.who}, who {cart.plan}  (cart {cart.cart_id})"]
        if state is None:
            return "\n".join([*lines, "  no journey found"])
        for message in state.get("messages", []):
            offset = ""
            if message.get("sent_at"):
                sent = datetime.fromisoformat(message["sent_at"]).timestamp()
                offset = f"+{sent - cart.started:.0f}s"
            engagement = [kind for kind in ("opened", "clicked") if message.get(kind)]
            offset = offset or "-"
            lines.append(
                f"  {offset:>5}  {message['message_id']:<6} {message['template']:<22}"
                f" {message['status']:<9} {' '.join(engagement)}"
            )
        if state.get("held_out"):
            lines.append("  held out: nothing was sent; a purchase is still counted")
        for experiment, arm in (state.get("arms") or {}).items():
            lines.append(f"  experiment {experiment}: arm {arm}")
        outcome = state.get("outcome") or "-"
        revenue = f", revenue {state['revenue']} {state.get('currency', '')}"
        lines.append(
            f"  status {state.get('status')}, journey {state.get('journey')}"
            f" v{state.get('version')}, outcome {outcome}"
            + (revenue if state.get("revenue") else "")
        )
        return "\n".join(lines)


def offers_and_recommendations(outbox: Path, carts: list[DemoCart]) -> list[str]:
    """The codes the last emails carried and what the emails recommended, per customer."""
    lines = []
    for cart in carts:
        for path in sorted(outbox.glob(f"*-{cart.email}.eml")):
            message = message_from_bytes(path.read_bytes(), policy=default_policy)
            assert isinstance(message, EmailMessage)
            body = message.get_body(("plain",))
            text = str(body.get_content()) if body is not None else ""
            for code in COUPON_CODE.findall(text):
                lines.append(f"{cart.who} got a unique code: {code} ({message['Subject']!r})")
            heading = next((h for h in RECOMMENDED if h in text), None)
            liked = text.split(heading, 1)[1].split("\n\n", 1)[0] if heading else ""
            names = [row[2:].split(":")[0] for row in liked.splitlines() if row.startswith("- ")]
            if names:
                lines.append(f"{cart.who}'s {message['Subject']!r} recommends: {', '.join(names)}")
    return lines or ["no codes or recommendations in this demo's emails"]


def run(api: str, outbox: Path) -> int:
    settings = Settings()
    key_file = ROOT / DEV_KEY_FILE
    if not key_file.exists():
        print(f"no API key in {key_file}: start `make run` first (it creates the demo shop's key)")
        return 1
    headers = {"Authorization": f"Bearer {key_file.read_text().strip()}"}
    run_id = datetime.now().strftime("%Y%m%d%H%M%S")
    with httpx.Client(base_url=api, headers=headers, timeout=10) as http:
        try:
            http.get("/healthz").raise_for_status()
        except httpx.HTTPError as error:
            print(f"the API at {api} does not answer ({error}): start `make run` first")
            return 1
        carts = demo_carts(run_id, demo_journey())
        clicker, _, buyer = carts[:3]
        demo = Demo(http, outbox, carts)
        try:
            demo.send_carts()
            demo.click_first_email(clicker)
            demo.order_after_first_email(buyer)
            for held in carts[3:]:
                demo.order_while_held_out(held)
            states = demo.wait_until_settled()
        except (DemoFailed, httpx.HTTPError) as failure:
            print(f"\ndemo failed: {failure}", file=sys.stderr)
            return 1
    print()
    for cart in carts:
        print(demo.timeline(cart, states.get(cart.cart_id)))
        print()
    for line in offers_and_recommendations(outbox, carts):
        print(line)
    print()
    mails = sorted(outbox.glob(f"*.{run_id}@example.com.html"))
    print(f"the {len(mails)} emails of this demo are in {outbox.resolve()}/ (open the .html files)")
    print(
        "each cart in the Temporal UI: http://localhost:8233/namespaces/"
        f"{settings.temporal_namespace}/workflows?query=ShopId%3D%22{SHOP}%22"
    )
    print(
        f"the dashboard, with these carts in it: {api}/dashboard/ (log in as "
        f"{DEMO_DASHBOARD_USER}, password {DEMO_DASHBOARD_PASSWORD!r}; made by `make run`)"
    )
    unsettled = [c.who for c in carts if (states.get(c.cart_id) or {}).get("status") not in SETTLED]
    if unsettled:
        print(f"still running after {DEADLINE:.0f}s: {', '.join(unsettled)}", file=sys.stderr)
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api", default="http://localhost:8000")
    parser.add_argument("--outbox", type=Path, default=Path("data/outbox"))
    args = parser.parse_args()
    sys.exit(run(args.api, args.outbox))


if __name__ == "__main__":
    main()
