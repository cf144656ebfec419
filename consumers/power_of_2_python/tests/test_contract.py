"""The constants in power_of_2.contract must equal the shared contract files."""

from typing import Any

from power_of_2 import contract
from tests.contract_files import CONTRACT, CONTRACTS_DIR


def _step() -> dict[str, Any]:
    steps = [s for s in CONTRACT["steps"] if s["activity"] == contract.ACTIVITY_NAME]
    assert len(steps) == 1, f"contract.json has no single step for {contract.ACTIVITY_NAME}"
    step: dict[str, Any] = steps[0]
    return step


def test_step_names_match_contract() -> None:
    step = _step()
    assert step["taskQueue"] == contract.TASK_QUEUE
    assert step["language"] == contract.LANGUAGE
    assert step["exponent"] == contract.EXPONENT
    assert step["waitVariable"] == contract.WAIT_VARIABLE


def test_payload_rules_match_contract() -> None:
    assert CONTRACT["payload"]["pattern"] == contract.PAYLOAD_PATTERN
    assert CONTRACT["payload"]["maxDigits"] == contract.PAYLOAD_MAX_DIGITS
    assert CONTRACT["invalidNumberErrorType"] == contract.INVALID_NUMBER_ERROR_TYPE


def test_timings_match_contract() -> None:
    assert CONTRACT["defaultWaitSeconds"] == contract.DEFAULT_WAIT_SECONDS
    assert CONTRACT["heartbeatIntervalSeconds"] == contract.HEARTBEAT_INTERVAL_SECONDS


def test_worker_settings_match_contract_readme() -> None:
    # These live only in the prose of contracts/README.md, so check they are still named there.
    readme = (CONTRACTS_DIR / "README.md").read_text(encoding="utf-8")
    assert f"`{contract.WAIT_PATTERN}`" in readme
    assert f"`{contract.REPLICA_VARIABLE}` (default `{contract.DEFAULT_REPLICA}`)" in readme
    grace = int(contract.DEFAULT_SHUTDOWN_GRACE_SECONDS)
    assert f"`{contract.SHUTDOWN_GRACE_VARIABLE}` (default {grace})" in readme
    assert f"`{contract.DEFAULT_TEMPORAL_ADDRESS}`" in readme
    assert f"namespace `{contract.DEFAULT_TEMPORAL_NAMESPACE}`" in readme
