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


def test_settings_match_contract() -> None:
    settings = CONTRACT["settings"]
    assert settings["exitCode"] == contract.SETTINGS_EXIT_CODE
    assert settings["message"] == contract.SETTINGS_MESSAGE
    assert settings["seconds"] == {
        "pattern": contract.SECONDS_PATTERN,
        "rule": contract.SECONDS_RULE,
    }
    assert settings["replica"] == {
        "variable": contract.REPLICA_VARIABLE,
        "default": contract.DEFAULT_REPLICA,
        "pattern": contract.REPLICA_PATTERN,
        "rule": contract.REPLICA_RULE,
    }
    assert settings["port"] == {"rule": contract.PORT_RULE}
    assert settings["logFormat"] == {
        "variable": contract.LOG_FORMAT_VARIABLE,
        "default": contract.DEFAULT_LOG_FORMAT,
        "values": list(contract.LOG_FORMATS),
        "rule": contract.LOG_FORMAT_RULE,
    }
    assert settings["shutdownGrace"] == {
        "variable": contract.SHUTDOWN_GRACE_VARIABLE,
        "default": contract.DEFAULT_SHUTDOWN_GRACE_SECONDS,
    }


def test_probe_matches_contract() -> None:
    assert CONTRACT["probe"] == {
        "portVariable": contract.HEALTH_PORT_VARIABLE,
        "hostVariable": contract.HEALTH_HOST_VARIABLE,
        "defaultHost": contract.DEFAULT_HEALTH_HOST,
        "livenessPath": contract.LIVENESS_PATH,
        "readinessPath": contract.READINESS_PATH,
    }


def test_encryption_matches_contract() -> None:
    assert CONTRACT["encryption"] == {
        "encoding": contract.ENCRYPTED_ENCODING,
        "keyIdMetadata": contract.KEY_ID_METADATA,
        "algorithm": "AES-256-GCM",
        "nonceBytes": contract.NONCE_BYTES,
        "keyBytes": contract.KEY_BYTES,
        "keysVariable": contract.KEYS_VARIABLE,
        "keyIdVariable": contract.KEY_ID_VARIABLE,
        "switchVariable": contract.ENCRYPTION_VARIABLE,
        "keyIdPattern": contract.KEY_ID_PATTERN,
        "keysRule": contract.KEYS_RULE,
        "keyIdRule": contract.KEY_ID_RULE,
        "switchRule": contract.ENCRYPTION_RULE,
    }


def test_deployment_matches_contract() -> None:
    # The workflow worker's behavior is pinned; this worker has no workflows to pin.
    assert {
        k: v for k, v in CONTRACT["deployment"].items() if k != "workflowVersioningBehavior"
    } == {
        "nameVariable": contract.DEPLOYMENT_NAME_VARIABLE,
        "defaultName": contract.DEFAULT_DEPLOYMENT_NAME,
        "buildIdVariable": contract.BUILD_ID_VARIABLE,
        "defaultBuildId": contract.DEFAULT_BUILD_ID,
        "buildIdPattern": contract.BUILD_ID_PATTERN,
        "buildIdRule": contract.BUILD_ID_RULE,
    }


def test_connection_defaults_match_contract_readme() -> None:
    # These live only in the prose of contracts/README.md, so check they are still named there.
    readme = (CONTRACTS_DIR / "README.md").read_text(encoding="utf-8")
    assert f"`{contract.DEFAULT_TEMPORAL_ADDRESS}`" in readme
    assert f"namespace `{contract.DEFAULT_TEMPORAL_NAMESPACE}`" in readme
