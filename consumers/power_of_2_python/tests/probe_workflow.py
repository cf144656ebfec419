"""A stand-in for CalculateWorkflow's first step, used only by the integration tests.

Kept in its own module because the workflow sandbox re-imports the module a workflow lives in.
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

# Passed through: the sandbox need not re-import the activity's module and its contract file.
with workflow.unsafe.imports_passed_through():
    from power_of_2.activities import NAME, STEP

PROBE_TASK_QUEUE = "power-of-2-probe-queue"


@workflow.defn
class PowerOf2ProbeWorkflow:
    @workflow.run
    async def run(self, value: Any) -> str:
        # Called by name, as the TypeScript workflow does, so the SDK cannot type the result.
        result: str = await workflow.execute_activity(
            NAME,
            value,
            task_queue=STEP["taskQueue"],
            result_type=str,
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=5),
            # A contract break would show up as retries; two attempts are enough to see it.
            retry_policy=RetryPolicy(maximum_attempts=2),
        )
        return result
