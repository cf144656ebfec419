"""The HTTP probe on HEALTH_PORT: /healthz while the process runs, /readyz while it polls."""

import json
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from temporalio.common import WorkerDeploymentVersion

from .contract import LIVENESS_PATH, READINESS_PATH

Status = Literal["starting", "ready", "stopping"]


class Probe:
    """What the probe answers; the worker moves status from starting to ready to stopping."""

    def __init__(self, identity: str, task_queue: str, version: WorkerDeploymentVersion) -> None:
        self.identity = identity
        self.task_queue = task_queue
        self.version = version
        self.status: Status = "starting"
        self._server: _Server | None = None

    def answer(self, path: str) -> tuple[int, dict[str, str]]:
        # status is read once, so the code and the body always describe the same moment.
        status = self.status
        path = path.split("?", 1)[0]
        if path == LIVENESS_PATH:
            return 200, {"status": "ok", "identity": self.identity}
        if path == READINESS_PATH:
            body = {
                "status": status,
                "identity": self.identity,
                "task_queue": self.task_queue,
                "build_id": self.version.build_id,
                "deployment": self.version.deployment_name,
            }
            return (200 if status == "ready" else 503), body
        return 404, {"status": "not found"}

    def listen(self, host: str, port: int) -> tuple[str, int]:
        """Serve on a daemon thread; raises OSError when the address cannot be bound.

        Returns the bound address (port 0 picks a free one)."""
        self._server = _Server(host, port, self)
        threading.Thread(target=self._server.serve_forever, name="probe", daemon=True).start()
        host, port, *_ = self._server.socket.getsockname()
        return host, port

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class _Server(socketserver.ThreadingTCPServer):
    # A plain TCP server rather than HTTPServer, whose bind looks the host up in DNS.
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, host: str, port: int, probe: Probe) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.probe = probe
        super().__init__((host, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Buffered: status line, headers and body leave in one write when the handler ends.
    wbufsize = 4096
    # A client that connects and sends nothing cannot hold a thread for long.
    timeout = 5

    def do_GET(self) -> None:
        code, body = self.server.probe.answer(self.path)
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a health check every few seconds would drown the worker's own records."""
