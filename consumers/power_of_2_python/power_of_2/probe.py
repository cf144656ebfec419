"""The HTTP probe: /healthz while the process runs, /readyz while the worker polls its queue."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from calc_contracts import CONTRACT


def serve(host: str, port: int, readiness: dict[str, str]) -> ThreadingHTTPServer:
    """Answers from a daemon thread, /readyz with the readiness the worker keeps up to date;
    OSError, naming the address, when it is taken."""

    class Handler(BaseHTTPRequestHandler):
        timeout = 5  # a client that sends nothing cannot hold a thread for long

        def do_GET(self) -> None:
            body, path = dict(readiness), self.path.partition("?")[0]  # one status throughout
            code = 200 if body["status"] == "ready" else 503
            if path == CONTRACT["probe"]["livenessPath"]:
                code, body = 200, {"status": "ok", "identity": body["identity"]}
            elif path != CONTRACT["probe"]["readinessPath"]:
                code, body = 404, {"status": "not found"}
            data = json.dumps(body, separators=(",", ":")).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Silent: a check every few seconds would drown the worker's own records."""

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as err:
        raise OSError(f"cannot serve the probe on {host}:{port}: {err}") from None
    threading.Thread(target=server.serve_forever, name="probe", daemon=True).start()
    return server
