"""The shared files the tests read beside the contract: vectors and codec vectors."""

import json
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).resolve().parent / "../../../contracts"
PROJECT_DIR = Path(__file__).resolve().parent.parent


def load_json(name: str) -> Any:
    with (CONTRACTS_DIR / name).open(encoding="utf-8") as file:
        return json.load(file)


VECTORS: dict[str, Any] = load_json("vectors.json")
