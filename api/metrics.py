"""Prometheus metrics for the API: request counts and latencies per route template, engine query times.

``install_metrics(app)`` (called once at the end of ``create_app``) adds:

* an ASGI middleware that counts and times every HTTP request, labelled by method, **route template**
  (``/overrides/{override_id}``, never the raw path, so label cardinality stays bounded; requests no route
  matched are ``<unmatched>``) and status code;
* ``GET /metrics`` in the Prometheus text exposition format 0.0.4 (OpenMetrics when the scraper's ``Accept``
  asks for it; not in the OpenAPI schema, no auth: bind the
  server to localhost or put it behind the proxy, as for any Prometheus target);
* ``app.state.metrics``: the app's :class:`ApiMetrics` (its own ``CollectorRegistry``, so several apps in one
  process, e.g. tests, never share or clash on series).

The pipeline's metrics (jobs, ingest, quarantine, gates, accuracy, freshness) are read at scrape time by the
collector of ``api.ops_metrics``, registered in the same registry (docs/operations.md).

Engine query times: whoever builds the app's ``QueryEngine`` wraps it once with
``instrument_engine(app, engine)``; every ``engine.query`` is then observed in
``lakecast_engine_query_duration_seconds{engine, outcome}``. The wrapper only times calls and delegates
everything else, so lakecast/runtime/engine.py stays as it is. For code that calls an engine it did not get
from the app, ``engine_timer(app, name)`` is the same measurement as a context manager.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METRICS_PATH = "/metrics"
UNMATCHED = "<unmatched>"
#: Seconds. Dense below 100 ms, where the dashboard endpoints are meant to live (docs/benchmarks.md).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    """The metric families of one app, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "lakecast_http_requests", "HTTP requests handled, by method, route template and status code",
            ("method", "route", "status"), registry=self.registry,
        )
        self.latency = Histogram(
            "lakecast_http_request_duration_seconds",
            "Time from request received to response body sent, by method, route template and status code",
            ("method", "route", "status"), buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.in_progress = Gauge(
            "lakecast_http_requests_in_progress", "HTTP requests being handled now", registry=self.registry,
        )
        self.engine_latency = Histogram(
            "lakecast_engine_query_duration_seconds",
            "Serving SQL engine query time (QueryEngine.query: transpile, execute, fetch), by engine and outcome",
            ("engine", "outcome"), buckets=LATENCY_BUCKETS, registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def observe_engine(self, engine: str, seconds: float, ok: bool) -> None:
        self.engine_latency.labels(engine, "ok" if ok else "error").observe(seconds)

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """(body, content type) for an ``Accept`` header: Prometheus text 0.0.4 unless another is asked for."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type


def route_template(scope: Scope) -> str:
    """The matched route's path template (set by Starlette's router in ``scope['route']``)."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    return str(getattr(route, "path", UNMATCHED))


class MetricsMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: no extra task or body buffering per request)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        status = 500  # if the app raises before sending a response, the server answers 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.metrics.in_progress.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.in_progress.dec()
            self.metrics.observe_request(scope["method"], route_template(scope), status,
                                         time.perf_counter() - start)


def install_metrics(app: FastAPI) -> ApiMetrics:
    """Add the request middleware and ``GET /metrics`` to ``app``; return (and store) its ApiMetrics."""
    metrics = ApiMetrics()
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    def prometheus_metrics(request: Request) -> Response:
        body, content_type = metrics.render(request.headers.get("accept", ""))
        return Response(body, headers={"Content-Type": content_type})

    app.add_api_route(METRICS_PATH, prometheus_metrics, methods=["GET"], include_in_schema=False)
    return metrics


def app_metrics(app_or_request: FastAPI | Request) -> ApiMetrics | None:
    app = app_or_request.app if isinstance(app_or_request, Request) else app_or_request
    return getattr(app.state, "metrics", None)


# ---------------------------------------------------------------- engine query timing
@contextmanager
def engine_timer(app_or_request: FastAPI | Request, engine: str) -> Iterator[None]:
    """Observe the block's duration as one engine query of ``app``'s metrics (no-op without metrics)."""
    metrics = app_metrics(app_or_request)
    start = time.perf_counter()
    ok = False
    try:
        yield
        ok = True
    finally:
        if metrics is not None:
            metrics.observe_engine(engine, time.perf_counter() - start, ok)


class TimedEngine:
    """A QueryEngine that times ``query`` into ApiMetrics and delegates every other attribute unchanged."""

    def __init__(self, engine: Any, metrics: ApiMetrics) -> None:
        self.inner = engine
        self.metrics = metrics
        self.name: str = engine.name

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        start = time.perf_counter()
        ok = False
        try:
            rows = self.inner.query(sql, params)
            ok = True
            return rows
        finally:
            self.metrics.observe_engine(self.name, time.perf_counter() - start, ok)

    def __getattr__(self, attr: str) -> Any:  # snapshot_id, refresh, settings, ...
        return getattr(self.inner, attr)


def instrument_engine(app: FastAPI, engine: Any) -> Any:
    """Return ``engine`` wrapped so its queries are timed in ``app``'s metrics (unchanged without metrics)."""
    metrics = app_metrics(app)
    if metrics is None or isinstance(engine, TimedEngine):
        return engine
    return TimedEngine(engine, metrics)
