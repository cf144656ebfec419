"""The HTTP probe: /healthz while the process runs, /readyz while the worker polls its queue."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from calc_contracts import CONTRACT

PATHS = CONTRACT["probe"]


class Probe:
    """What the probe answers; the worker moves status from starting to ready to stopping."""

    def __init__(self, identity: str, **details: str) -> None:
        self.identity, self.details = identity, details
        self.status = "starting"

    def answer(self, path: str) -> tuple[int, dict[str, str]]:
        status, path = self.status, path.partition("?")[0]  # one status for code and body
        if path == PATHS["livenessPath"]:
            return 200, {"status": "ok", "identity": self.identity}
        if path != PATHS["readinessPath"]:
            return 404, {"status": "not found"}
        body = {"status": status, "identity": self.identity, **self.details}
        return (200 if status == "ready" else 503), body

    def serve(self, host: str, port: int) -> ThreadingHTTPServer:
        """Answers on a daemon thread from now on; OSError, naming the address, when it is taken."""
        answer = self.answer

        class Handler(BaseHTTPRequestHandler):
            timeout = 5  # a client that sends nothing cannot hold a thread for long

            def do_GET(self) -> None:
                code, body = answer(self.path)
                data = json.dumps(body, separators=(",", ":")).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: a check every few seconds would drown the worker's own records."""

        try:
            server = ThreadingHTTPServer((host, port), Handler)
        except OSError as err:
            raise OSError(f"cannot serve the probe on {host}:{port}: {err}") from None
        threading.Thread(target=server.serve_forever, name="probe", daemon=True).start()
        return server
