"""Carts are pinned to the journey version they were abandoned on; entry conditions hold."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from tests.factories import make_cart, make_item
from tests.workflows.harness import HarnessFactory, about, publish_version
from workflows.payloads import Outcome


def write_version_from_v1(journeys: Path, version: int, *, replace: dict[str, str]) -> None:
    """What a marketer does: a new version file, derived from v1."""
    folder = journeys / "abandoned_cart"
    text = (folder / "v1.yaml").read_text().replace("version: 1", f"version: {version}")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    publish_version(journeys, version, text)


async def test_editing_journey_files_mid_journey_does_not_change_a_pinned_cart(
    harness_factory: HarnessFactory, journeys_copy: Path
) -> None:
    async with harness_factory(journeys_copy) as harness:
        await harness.go_live(1)
        handle = await harness.start(make_cart())
        await harness.advance(hours=1, minutes=5)  # abandoned: pinned to v1, r1 sent

        # the marketer rewrites a template v1 uses and makes a faster v5 live (the shipped
        # v2 needs SMS, which this worker has not; v3 is the shipped experiment, v4 offers
        # a coupon)
        subject = journeys_copy / "abandoned_cart" / "templates" / "nudge" / "tr.subject"
        subject.write_text("DEĞİŞTİRİLDİ\n")
        write_version_from_v1(journeys_copy, 5, replace={"wait: 48h": "wait: 1h"})
        await harness.go_live(5)

        await harness.advance(hours=24)
        await harness.advance(hours=48)

        times = await harness.send_times(handle)
        assert about(timedelta(hours=73), times["r3"])  # still v1's 48h wait
        nudge = harness.emails[1]
        assert "DEĞİŞTİRİLDİ" not in str(nudge["Subject"])
        assert (await harness.state(handle)).version == 1

        # a cart abandoned from now on gets v5
        later = await harness.start(make_cart(), cart_id="cart-2")
        await harness.advance(hours=1, minutes=5)
        assert (await harness.state(later)).version == 5


async def test_the_entry_condition_refuses_a_small_cart(
    harness_factory: HarnessFactory, journeys_copy: Path
) -> None:
    write_version_from_v1(journeys_copy, 2, replace={'"cart.total > 0"': '"cart.total >= 50"'})
    async with harness_factory(journeys_copy) as harness:
        await harness.go_live(2)
        small = make_cart(items=[make_item(unit_price=Decimal("19.90"))])
        handle = await harness.start(small)

        state = await harness.finish(handle)

        assert state.outcome == Outcome.NOT_ENTERED
        assert (state.journey, state.version) == ("abandoned_cart", 2)
        assert harness.emails == []
