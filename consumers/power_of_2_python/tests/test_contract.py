"""The worker reads contracts/contract.json itself, installed as package data."""

from calc_contracts import CONTRACT

from power_of_2.activities import NAME, STEP
from tests.contract_files import load_json


def test_the_installed_contract_is_the_repositorys_file() -> None:
    # uv reinstalls the package when the file changes; a stale copy would fail here.
    assert load_json("contract.json") == CONTRACT


def test_this_worker_is_the_python_step_that_squares() -> None:
    assert [step for step in CONTRACT["steps"] if step["activity"] == NAME] == [STEP]
    assert (STEP["language"], STEP["exponent"]) == ("python", 2)
