"""contract.json, which every language of the pipeline reads, as Python data."""

import json
from importlib.resources import files
from typing import Any

CONTRACT: dict[str, Any] = json.loads(files(__name__).joinpath("contract.json").read_text("utf-8"))


def step(activity: str) -> dict[str, Any]:
    """The contract's entry for one step: task queue, exponent, language, wait variable."""
    return next(s for s in CONTRACT["steps"] if s["activity"] == activity)
