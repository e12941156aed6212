"""HTTP plumbing: routing, auth, faults, the request log and the threaded Werkzeug server of one node."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import clock, errors, shapes
from .auth import TICKET_HEADER, Principal
from .reqlog import DROPPED, RequestRecord

if TYPE_CHECKING:  # pragma: no cover
    from .node import Node

PUBLIC = "/dip/publicapi"
INTERNAL = "/dip/api/tintercom"


@dataclass
class Text:
    """A non-JSON answer (JUnit XML, HTML, logs)."""

    body: str
    content_type: str = "text/plain; charset=utf-8"


@dataclass
class Call:
    """What a handler gets: the node, the parsed request and the authenticated caller."""

    node: Node
    request: Request
    principal: Optional[Principal]

    def arg(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = self.request.args.get(name)
        return default if value in (None, "") else value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.request.args.get(name)
        return default if value in (None, "") else value.strip().lower() in ("true", "1", "yes")

    def json(self) -> Any:
        raw = self.request.get_data(cache=True)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise errors.bad_request("Request body is not valid JSON: %s" % exc) from exc

    @property
    def user(self) -> str:
        return self.principal.user if self.principal else "anonymous"


Handler = Callable[..., Any]


@dataclass(frozen=True)
class RouteInfo:
    handler: Handler
    auth: str  # "any": a key or ticket; "ticket": internal ticket only; "none"
    since: Optional[Tuple[int, ...]]  # first DSS version that has this endpoint


class Router:
    def __init__(self) -> None:
        self._rules: List[Rule] = []
        self._routes: Dict[str, RouteInfo] = {}

    def add(self, method: str, rule: str, handler: Handler, auth: str = "any", since: Optional[str] = None) -> None:
        endpoint = "%s %s" % (method, rule)
        self._rules.append(Rule(rule, endpoint=endpoint, methods=[method]))
        version = tuple(int(p) for p in since.split(".")) if since else None
        self._routes[endpoint] = RouteInfo(handler, auth, version)

    def build(self) -> Tuple[Map, Dict[str, RouteInfo]]:
        return Map(self._rules, strict_slashes=False, merge_slashes=False), dict(self._routes)


def _json_response(status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def _cut(response: Response, environ: Dict[str, Any]) -> Response:
    """The start of `response`, under its full Content-Length, then the connection closes: a cut-off body."""
    body = response.get_data()
    sock = environ.get("werkzeug.socket")

    def start_then_close() -> Any:
        yield body[: len(body) // 2]
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)

    cut = Response(start_then_close(), status=response.status_code, headers=dict(response.headers))
    cut.headers["Content-Length"] = str(max(1, len(body)))
    return cut


class DroppedConnection(ConnectionAbortedError):
    """Raised to close the socket unanswered: Werkzeug treats a ConnectionError as a dropped connection."""


def _close_socket(environ: Dict[str, Any]) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        sock.shutdown(socket.SHUT_RDWR)


class App:
    """The WSGI application of a node."""

    def __init__(self, node: Node, router: Router) -> None:
        self.node = node
        self._map, self._routes = router.build()

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        arrived = clock.now()
        user: List[Optional[str]] = [None]
        try:
            response = self._answer(request, environ, user)
        except DroppedConnection:
            # Logged before the socket closes, so a client that reconnects at once finds the drop logged first.
            self._record(arrived, request, DROPPED, user[0])
            _close_socket(environ)
            raise
        self._record(arrived, request, response.status_code, user[0])
        return response(environ, start_response)

    def _record(self, arrived: float, request: Request, status: int, user: Optional[str]) -> None:
        query = request.query_string.decode("latin-1")
        self.node.log.add(RequestRecord(arrived, request.method, request.path, status, query, user))

    def _answer(self, request: Request, environ: Dict[str, Any], user: List[Optional[str]]) -> Response:
        fault = self.node.faults.take(request.method, request.path)
        if fault is None:
            return self._work(request, user)
        if fault.delay:
            time.sleep(fault.delay)
        if fault.action is not None:
            fault.action()
        if not fault.after_work:
            if fault.drop:
                raise DroppedConnection("simulated dropped connection")
            if fault.status:
                return self._fault_response(fault.status, fault.body, fault.retry_after, fault.dss_body)
            return self._work(request, user)
        response = self._work(request, user)
        if fault.delay_after:
            time.sleep(fault.delay_after)
        if fault.drop_after:
            raise DroppedConnection("simulated dropped connection")
        if fault.cut:
            return _cut(response, environ)
        if fault.status:
            return self._fault_response(fault.status, fault.body, fault.retry_after, fault.dss_body)
        return response

    def _work(self, request: Request, user: List[Optional[str]]) -> Response:
        """What DSS answers, the request's work done."""
        self.node.sync()
        down_for = self.node.down_remaining()
        if down_for > 0:
            # [I] A node restarting after a deploy: the proxy in front of it answers 503 with Retry-After.
            return self._fault_response(503, None, max(1, int(down_for + 0.999)))
        try:
            return self._dispatch(request, user)
        except errors.DSSError as exc:
            return _json_response(exc.status, exc.body())

    @staticmethod
    def _fault_response(status: int, body: Optional[str], retry_after: Optional[float],
                        dss_body: bool = False) -> Response:
        headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else None
        if body is not None:
            return Response(body, status=status, headers=headers)
        if status >= 500 and dss_body:
            err = errors.DSSError(status, errors.UNKNOWN_ERROR, "Simulated internal error %d" % status)
            return _json_response(status, err.body(), headers)
        if status >= 500:
            return Response(shapes.gateway_error_html(status), status=status, mimetype="text/html", headers=headers)
        err = errors.DSSError(status, errors.UNAUTHORIZED if status in (401, 403) else errors.NOT_FOUND,
                              "Simulated fault %d" % status)
        return _json_response(status, err.body(), headers)

    def _dispatch(self, request: Request, user: List[Optional[str]]) -> Response:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            endpoint, params = adapter.match()
        except NotFound:
            return Response(shapes.unknown_endpoint_html(request.path), status=404, mimetype="text/html")
        except MethodNotAllowed:
            return Response(shapes.unknown_endpoint_html(request.path), status=405, mimetype="text/html")
        route = self._routes[endpoint]
        if route.since and self.node.version_tuple < route.since:
            return Response(shapes.unknown_endpoint_html(request.path), status=404, mimetype="text/html")
        principal = None
        if route.auth != "none":
            auth = request.authorization
            basic = auth.username if auth is not None and auth.type == "basic" else None
            principal = self.node.auth.resolve(basic, request.headers.get(TICKET_HEADER))
            user[0] = principal.user
            if route.auth == "ticket" and not principal.ticket:
                raise errors.unauthenticated("This internal API needs a scenario ticket")
        call = Call(self.node, request, principal)
        with self.node.lock:
            result = route.handler(call, **params)
        if isinstance(result, Response):
            return result
        if isinstance(result, Text):
            return Response(result.body, status=200, content_type=result.content_type)
        return _json_response(200, {} if result is None else result)


class _QuietHandler(WSGIRequestHandler):
    """No per-request lines on stderr; the request log is the record. The Date header follows the nodes' clock."""

    def date_time_string(self, timestamp: Optional[float] = None) -> str:
        return super().date_time_string(clock.shown(clock.now() if timestamp is None else timestamp))

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log(self, *args: Any, **kwargs: Any) -> None:
        pass


class ServerThread:
    """A threaded Werkzeug server on 127.0.0.1 and a free port, serving in a daemon thread."""

    def __init__(self, app: App) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        # A short poll interval keeps shutdown (and so every test teardown) fast.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="dss-sim-%d" % self.port, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
