"""The nightly recommendations refresh: every shop's lists recomputed from its orders.

Started by the Temporal Schedule `cartnudge-recommendations` (workflows/recommendations_
schedule.py) or by `cartnudge recommendations refresh`. It asks which shops to refresh,
then runs one short activity per shop, one after the other (a gentle load on the database
at night), each named in its summary so the Temporal UI lists the shops done. Every shop
learns from the orders before the same moment, the run's start.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from workflows import names
    from workflows.recommendation_payloads import (
        RefreshRequest,
        RefreshResult,
        ShopRefresh,
        ShopRefreshed,
        ShopsToRefresh,
    )

REFRESH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=10,
)


@workflow.defn(name=names.RECOMMENDATIONS_REFRESH)
class RecommendationsRefreshWorkflow:
    @workflow.run
    async def run(self, request: RefreshRequest) -> RefreshResult:
        as_of = request.as_of or workflow.now()
        if request.pending is not None:
            shops = list(request.pending)
        elif request.shop is not None:
            shops = [request.shop]
        else:
            shops = await workflow.execute_activity(
                names.RECOMMENDATION_SHOPS,
                ShopsToRefresh(as_of=as_of),
                result_type=list[str],
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=REFRESH_RETRY,
                summary="which shops have orders to learn from",
            )
        done: list[ShopRefreshed] = []
        failed: list[str] = []
        for index, shop in enumerate(shops):
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(
                    RefreshRequest(
                        pending=tuple(shops[index:]),
                        as_of=as_of,
                        done_before=request.done_before + len(done),
                        failed_before=request.failed_before + tuple(failed),
                    )
                )
            try:
                done.append(
                    await workflow.execute_activity(
                        names.REFRESH_RECOMMENDATIONS,
                        ShopRefresh(shop=shop, as_of=as_of),
                        result_type=ShopRefreshed,
                        start_to_close_timeout=timedelta(minutes=15),
                        heartbeat_timeout=timedelta(minutes=2),
                        retry_policy=REFRESH_RETRY,
                        summary=f"recompute the recommendations of {shop}",
                    )
                )
            except ActivityError as err:
                if is_cancelled_exception(err):
                    raise  # the run was cancelled: stop, do not go on to the next shop
                # One shop's failure keeps its lists of yesterday; the others still learn.
                workflow.logger.error("recommendations of %s not refreshed: %s", shop, err.cause)
                failed.append(shop)
                workflow.set_current_details(f"not refreshed: {', '.join(failed)}")
        return RefreshResult(
            as_of=as_of,
            shops=tuple(done),
            done_before=request.done_before,
            failed=request.failed_before + tuple(failed),
        )
