"""What a health checker does: GET a probe path and read the JSON answer."""

import json
import socket
import urllib.error
import urllib.request
from typing import Any


def get(url: str) -> tuple[int, str, dict[str, Any]]:
    """Status code, Content-Type and decoded body, for error statuses too."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], json.load(response)
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers["Content-Type"], json.load(err)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
