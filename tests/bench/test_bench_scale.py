"""`make bench-scale` at 500 carts: the stack comes up, every cart gets to sleep mid-journey,
the report reads. Its shape is checked, and that its numbers come from the run (the outbox,
the database files, the processes' memory), never how fast anything was."""

from __future__ import annotations

import re

import pytest

from devstack.bench_scale import EXTRAPOLATE_TO, MB, ScaleReport, run_bench_scale
from storage.outbox import OutboxState
from tests.support.stack_runs import stack_run

CARTS = 500

pytestmark = [pytest.mark.bench, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
async def report(tmp_path_factory: pytest.TempPathFactory) -> ScaleReport:
    return await stack_run(
        tmp_path_factory,
        "the scale bench",
        "bench-scale",
        lambda logs: run_bench_scale(logs=logs, carts=CARTS, concurrency=16),
    )


def test_every_cart_got_its_first_reminder_and_no_second(report: ScaleReport) -> None:
    # a send timed out mid-delivery on a loaded box is `uncertain`, its mail most likely out
    assert set(report.outbox) <= {OutboxState.SENT, OutboxState.UNCERTAIN}, report.outbox
    assert sum(report.outbox.values()) == CARTS
    assert report.mails == CARTS  # one reminder each, none twice
    assert report.full.asleep == CARTS
    assert report.empty.asleep == 0 < report.half.asleep <= CARTS


def test_the_clock_ran_from_the_first_put_to_the_last_cart_asleep(report: ScaleReport) -> None:
    assert 0 < report.accepted_seconds < report.reminded_seconds <= report.asleep_seconds
    assert report.carts_per_second == pytest.approx(CARTS / report.asleep_seconds)
    assert report.verified_seconds > 0


def test_the_footprint_is_read_from_the_database_files_and_the_processes(
    report: ScaleReport,
) -> None:
    assert {name for name, _ in report.full.db_files} >= {"temporal.db", "temporal.db-wal"}
    # a sleeping cart's history and state are stored: the database grew
    assert report.full.db_bytes > report.empty.db_bytes
    assert report.db_bytes_per_cart > 1024
    for footprint in (report.empty, report.half, report.full):
        assert 20 * MB < footprint.worker_rss < 4096 * MB
        assert 20 * MB < footprint.server_rss < 4096 * MB


def test_the_extrapolation_follows_from_the_measurements(report: ScaleReport) -> None:
    seconds, db, worker, server = report.at(EXTRAPOLATE_TO)
    assert seconds == pytest.approx(EXTRAPOLATE_TO / report.carts_per_second)
    assert db == pytest.approx(report.empty.db_bytes + report.db_bytes_per_cart * EXTRAPOLATE_TO)
    assert worker >= report.full.worker_rss and server >= report.full.server_rss
    assert report.at(CARTS)[1] == pytest.approx(report.full.db_bytes)


def test_the_last_line_names_the_numbers(report: ScaleReport) -> None:
    match = re.fullmatch(
        r"bench-scale: carts=(\d+) asleep_s=(\d+) carts_per_s=(\d+\.\d) db_mb_per_1000=(\d+\.\d)"
        r" worker_rss_mb=(\d+) minutes_to_100k=(\d+) db_mb_at_100k=(\d+)"
        r" worker_rss_mb_at_100k=(\d+)",
        report.summary,
    )
    assert match, report.summary
    carts, asleep, rate, per_1000, rss, minutes, db, rss_100k = match.groups()
    assert int(carts) == CARTS
    assert float(rate) == pytest.approx(CARTS / report.asleep_seconds, abs=0.05)
    assert float(per_1000) == pytest.approx(report.db_bytes_per_cart * 1000 / MB, abs=0.05)
    assert int(rss) == round(report.full.worker_rss / MB)
    assert int(minutes) > 0 and int(db) > 0 and int(rss_100k) >= int(rss)


def test_the_table_shows_the_run_and_the_extrapolation(report: ScaleReport) -> None:
    table = report.table()
    assert f"{CARTS} carts through PUT /v1/carts, 16 in flight" in table
    for row in ("no carts", "half-way", "all asleep"):
        assert re.search(rf"^    {row} +\d+ asleep +database +\d+\.\d MB", table, re.M), table
    assert "Temporal's database per 1,000 sleeping carts:" in table
    assert f"extrapolated to {EXTRAPOLATE_TO:,} sleeping carts:" in table


def test_the_sleeping_line_weighs_the_worker_with_and_without_the_carts(
    report: ScaleReport,
) -> None:
    match = re.fullmatch(
        r"sleeping: carts=(\d+) stage=reminded worker_rss_mb=(\d+) worker_rss_mb_no_carts=(\d+)"
        r" carts_per_gb=(\d+|inf) carts_per_gb_marginal=(\d+|inf) db_kb_per_cart=(\d+\.\d)"
        r" asleep_s=(\d+)",
        report.sleeping,
    )
    assert match, report.sleeping
    carts, rss, rss_before, per_gb, _, db_kb, _ = match.groups()
    assert int(carts) == CARTS
    assert int(rss) == round(report.full.worker_rss / MB)
    assert int(rss_before) == round(report.empty.worker_rss / MB)
    # 500 workflows in the worker's cache take room: the carts cost the worker memory
    assert report.full.worker_rss > report.empty.worker_rss
    assert int(per_gb) == round(CARTS * 1024 * MB / report.worker_rss_growth)
    assert float(db_kb) == pytest.approx(report.db_bytes_per_cart / 1024, abs=0.05)


WATCHING = 200


@pytest.fixture(scope="module")
async def watching(tmp_path_factory: pytest.TempPathFactory) -> ScaleReport:
    return await stack_run(
        tmp_path_factory,
        "the scale bench, watching",
        "bench-scale-watching",
        lambda logs: run_bench_scale(logs=logs, carts=WATCHING, concurrency=16, watching=True),
    )


def test_watching_carts_sleep_before_abandonment_and_get_nothing(watching: ScaleReport) -> None:
    assert watching.journey.endswith("inactivity 24h)")
    assert watching.outbox == {} and watching.mails == 0
    assert watching.full.asleep == WATCHING
    assert 0 < watching.half.asleep < WATCHING
    assert watching.full.db_bytes > watching.empty.db_bytes  # each open workflow is stored
    assert re.match(
        rf"sleeping: carts={WATCHING} stage=watching worker_rss_mb=\d+ ", watching.sleeping
    )
    assert "no reminder: asleep watching for abandonment" in watching.table()
    assert "asleep in the 24 h inactivity wait" in watching.table()
