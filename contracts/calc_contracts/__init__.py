"""contract.json, which every language of the pipeline reads, as Python data."""

import json
from importlib.resources import files
from typing import Any

CONTRACT: dict[str, Any] = json.loads(files(__name__).joinpath("contract.json").read_text("utf-8"))
