"""A tiny fake DSS backend on 127.0.0.1 for the unit tests of the stand-in package and the runners: it answers
the two tintercom scenario-variable calls and one public API call, and records every request."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeBackend:
    """Answers the tintercom scenario calls and one public API call; records every request."""

    def __init__(self):
        self.requests: list[dict] = []
        self.variables: dict = {"projectKey": "PK"}
        self.fail_with: tuple[int, str] | None = None
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                backend.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                         "form": parse_qs(body)})
                status, payload = backend.answer(self.command, self.path, parse_qs(body))
                data = payload.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle  # noqa: N815 - http.server's naming

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def answer(self, method, path, form):
        if self.fail_with:
            return self.fail_with
        if path == "/dip/api/tintercom/scenarios/set-variables/":
            self.variables.update(json.loads(form["variables"][0]))
            return 200, "{}"
        if path == "/dip/api/tintercom/scenarios/get-all-variables":
            return 200, json.dumps(self.variables)
        if path.startswith("/dip/publicapi/projects/"):
            return 200, json.dumps([{"projectKey": "PK"}])
        return 404, json.dumps({"errorType": "NotFound", "message": f"no {path}"})

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
