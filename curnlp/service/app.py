"""The ASGI application of ``curnlp serve`` (FastAPI on Starlette, run by uvicorn).

Routing is CPU work under the GIL, so each worker routes on ONE dedicated thread, first come
first served: the event loop stays free for ``/health``, ``/metrics`` and the page while a
long ``/route_many`` runs (cut into chunks, so single ``/route`` calls slip in between), and
threads never fight over the GIL. Errors are JSON ``{"error", "field", "message"}``, never a
traceback; see :mod:`curnlp.service.config` for the limits.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources
from typing import Any, Union

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from .. import __version__
from ..errors import InvalidInput
from . import metrics
from .config import ADMIN_TOKEN_ENV, ServeConfig, admin_token
from .feedback import FeedbackStore
from .holder import ModelHolder, ReloadRefused

log = logging.getLogger("curnlp.service")

#: messages routed per job of the routing thread in ``/route_many``
CHUNK = 64
#: seconds between two looks at the reload state file
POLL_SECONDS = 1.0

Time = Union[str, int, float, None]


# ------------------------------------------------------------------ request bodies
class RouteIn(BaseModel):
    text: str = Field(description="the message, as the citizen wrote it")
    time: Time = Field(None, description="when it was written (date, datetime, or the training time column's number); "
                                         "default: now")


class RouteManyIn(BaseModel):
    texts: list[str] = Field(description="the messages (at most the service's max_texts, see GET /info)")
    times: list[Time] | None = Field(None, description="one time per message, or omitted")


class LocateIn(BaseModel):
    text: str
    region: str | None = Field(None, description="region pack name (default: the served bundle's region)")


class Labels(BaseModel):
    agency: str | None = None
    group: str | None = None
    topic: str | None = None


class FeedbackIn(BaseModel):
    text: str | None = Field(None, description="the message (or give id)")
    id: str | int | None = Field(None, description="the message's id in the operator's system (or give text)")
    model: str | None = Field(None, description="bundle id that routed it (default: the one serving now)")
    labels: Labels = Field(description="the operator's final labels; at least one")
    time: Time = None


class ReloadIn(BaseModel):
    model: str | None = Field(None, description="bundle directory (default: the current one, re-read from disk)")


# ------------------------------------------------------------------ errors
class ApiError(Exception):
    """An error answered as ``{"error": code, "field": field, "message": message}``."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def _error(status: int, code: str, message: str, field: str | None = None, headers=None) -> JSONResponse:
    return JSONResponse({"error": code, "field": field, "message": message}, status_code=status, headers=headers)


def _field_name(loc: tuple) -> str:
    out = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    if first.get("type") == "json_invalid":
        detail = (first.get("ctx") or {}).get("error", "")
        return _error(400, "invalid_json", f"the body is not valid JSON ({detail})".replace(" ()", ""), "body")
    loc = tuple(first.get("loc", ()))
    message = first.get("msg", "invalid value")
    # a value of a union type fails once per member, each loc ending with the member's name
    branches = [e["loc"][-1] for e in exc.errors() if len(e["loc"]) == len(loc) and tuple(e["loc"][:-1]) == loc[:-1]]
    if len(branches) > 1 and all(isinstance(b, str) for b in branches):
        loc, message = loc[:-1], "expected one of: " + ", ".join(dict.fromkeys(branches)) + " or null"
    field = _field_name(loc)
    if field == "body":
        message += " (send a JSON object with Content-Type: application/json)"
    return _error(422, "invalid_field", f"{field}: {message}", field)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
    return _error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail),
                  "body" if exc.status_code == 413 else None, headers=getattr(exc, "headers", None))


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return _error(exc.status, exc.code, exc.message, exc.field)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("curnlp serve: unexpected error on %s", request.url.path)
    return _error(500, "internal", f"{type(exc).__name__} while answering; see the server log")


# ------------------------------------------------------------------ ASGI middleware
class BodyLimit:
    """413 for a body over ``limit`` bytes, known by Content-Length or while it streams in.

    The rest of a refused body is read and dropped (up to :data:`DRAIN`) before answering:
    a client still sending would otherwise see a broken connection instead of the 413."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        message = f"the body is over the limit of {self.limit} bytes"
        if declared.isdigit() and int(declared) > self.limit:
            closing = int(declared) > DRAIN or not await _drain(receive, 0)
            response = _error(413, "body_too_large", message, "body",
                              headers={"Connection": "close"} if closing else None)
            return await response(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    if msg.get("more_body", False):
                        await _drain(receive, seen)
                    raise HTTPException(413, message)
            return msg

        await self.app(scope, limited, send)


#: bytes of a refused body read and dropped at most; past that the connection is closed
DRAIN = 32 * 1024 * 1024


async def _drain(receive, seen: int) -> bool:
    """Read the request body to its end; False when it ran past :data:`DRAIN` or the client left."""
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            return False
        seen += len(msg.get("body", b""))
        if not msg.get("more_body", False):
            return True
        if seen > DRAIN:
            return False


class Measure:
    """Counts requests and their latency for Prometheus (see :mod:`.metrics`)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = [500]

        async def send_status(msg):
            if msg["type"] == "http.response.start":
                status[0] = msg["status"]
            await send(msg)

        try:
            await self.app(scope, receive, send_status)
        finally:
            endpoint = metrics.endpoint_of(scope["path"])
            metrics.LATENCY.labels(endpoint).observe(time.perf_counter() - start)
            metrics.REQUESTS.labels(endpoint, scope["method"], str(status[0])).inc()


# ------------------------------------------------------------------ the application
def _static(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


_STATIC_TYPES = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8",
                 "docs.js": "text/javascript; charset=utf-8"}
_PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                            "base-uri 'none'; frame-ancestors 'none'",
                 "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


def promise_of(manifest: dict) -> dict[str, Any]:
    """What the bundle states about the accuracy of unflagged routings (``/info``).

    A ``promise`` entry of the manifest (or of its metrics) is given as it is; otherwise
    the review threshold and the accuracy it was chosen for."""
    for where in (manifest, manifest.get("metrics") or {}):
        if isinstance(where.get("promise"), dict):
            return {"source": "manifest promise", **where["promise"]}
    out = {"source": "review threshold", "target": manifest.get("review_target", "agency"),
           "threshold": manifest.get("review_threshold"), "accuracy": manifest.get("review_accuracy"),
           "coverage": manifest.get("review_coverage_held_out"), "chosen_on": manifest.get("review_chosen_on")}
    return {k: v for k, v in out.items() if v is not None}


def create_app(config: ServeConfig | None = None) -> FastAPI:
    """The application for one worker: loads the bundle in the background once it starts."""
    config = config or ServeConfig()
    holder = ModelHolder(config.model, entities=config.entities, state_path=config.state_path)
    store = FeedbackStore(config.feedback_db)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="curnlp-route")

    async def run(fn, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(pool, partial(fn, *args, **kwargs))

    async def follow_state():
        last = None
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                stamp = os.stat(config.state_path).st_mtime_ns if config.state_path else None
            except OSError:
                stamp = None
            if stamp is not None and stamp != last and holder.ready:
                last = stamp
                if await asyncio.to_thread(holder.follow):
                    metrics.RELOADS.labels("ok").inc()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threading.Thread(target=holder.load_initial, name="curnlp-load", daemon=True).start()
        poller = asyncio.create_task(follow_state())
        try:
            yield
        finally:
            poller.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            store.close()

    app = FastAPI(title="curnlp", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Routing of Russian citizens' messages to the agency responsible (ЦУР). "
                              "Errors are JSON {error, field, message}.")
    app.state.holder, app.state.store, app.state.config = holder, store, config
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(BodyLimit, limit=config.max_body)
    app.add_middleware(Measure)

    def router():
        current = holder.router
        if current is None:
            raise ApiError(503, "not_ready", holder.error or "the model is still loading; see GET /health")
        return current

    def check_admin(request: Request) -> None:
        token = admin_token()
        if token is None:
            raise ApiError(403, "admin_disabled", f"admin endpoints are disabled: set {ADMIN_TOKEN_ENV}")
        given = request.headers.get("x-admin-token") or ""
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise ApiError(401, "unauthorized", "a valid admin token is required (header X-Admin-Token "
                                                "or Authorization: Bearer)")

    def invalid(exc: InvalidInput, field: str) -> ApiError:
        return ApiError(422, "invalid_field", f"{field}: {exc}", field)

    # -- routing
    @app.post("/route", tags=["routing"], summary="Route one message (Routing.to_dict())")
    async def route(body: RouteIn):
        current = router()
        try:
            routing = await run(current.route, body.text, time=body.time)
        except InvalidInput as exc:
            raise invalid(exc, "time") from exc
        metrics.count_routings([routing])
        return JSONResponse(routing.to_dict())

    @app.post("/route_many", tags=["routing"], summary="Route many messages: {routings: [...]}, same order")
    async def route_many(body: RouteManyIn):
        current = router()
        n = len(body.texts)
        if n > config.max_texts:
            raise ApiError(422, "too_many_texts", f"texts: {n} messages, at most {config.max_texts} per request",
                           "texts")
        if body.times is not None and len(body.times) != n:
            raise ApiError(422, "invalid_field", f"times: {len(body.times)} values for {n} texts", "times")
        out = []
        try:
            for i in range(0, n, CHUNK):
                times = None if body.times is None else body.times[i:i + CHUNK]
                out.extend(await run(current.route_many, body.texts[i:i + CHUNK], times=times))
        except InvalidInput as exc:
            raise invalid(exc, "times") from exc
        metrics.count_routings(out)
        return JSONResponse({"routings": [r.to_dict() for r in out]})

    @app.post("/locate", tags=["routing"], summary="Places and municipality of one message (no classifier)")
    async def locate(body: LocateIn):
        from ..places import RegionPackError, locate as locate_places
        region = body.region or (holder.router.region if holder.router is not None else None)
        try:
            place = await run(locate_places, body.text, region=region)
        except RegionPackError as exc:
            raise ApiError(422, "invalid_field", f"region: {exc}", "region") from exc
        return JSONResponse(place.to_dict())

    # -- state
    @app.get("/health", tags=["service"], summary="200 once the model is loaded and warmed, else 503")
    async def health():
        if holder.ready:
            return {"status": "ready", "model": holder.router.id, "pid": os.getpid()}
        status = "failed" if holder.error else "loading"
        return JSONResponse({"status": status, "error": holder.error, "pid": os.getpid()}, status_code=503)

    @app.get("/info", tags=["service"], summary="Bundle id, region, targets, labels, accuracy promise, limits")
    async def info():
        current = router()
        region = current.region
        return {
            "model": current.id, "model_path": str(current.path) if current.path else None,
            "created": current.manifest.get("created"), "curnlp": __version__,
            "region": {"name": region.name, "title": region.title, "official": region.region_name}
            if region is not None else None,
            "targets": list(current.targets),
            "labels": {t: list(v) for t, v in (current.manifest.get("labels") or {}).items()},
            "group_names": dict(region.groups) if region is not None else {},
            "review_threshold": current.review_threshold,
            "promise": promise_of(current.manifest),
            "entities": config.entities, "workers": config.workers,
            "limits": {"max_body_bytes": config.max_body, "max_texts": config.max_texts},
            "generation": holder.generation, "reloads": holder.reloads,
        }

    @app.get("/metrics", tags=["service"], summary="Prometheus text exposition")
    async def prometheus():
        body, kind = await asyncio.to_thread(metrics.exposition)
        return Response(body, media_type=kind)

    # -- feedback
    @app.post("/feedback", status_code=201, tags=["feedback"], summary="Store an operator's final labels")
    async def feedback(body: FeedbackIn):
        text = body.text if body.text is not None and body.text.strip() else None
        if text is None and body.id is None:
            raise ApiError(422, "invalid_field", "text: give the message text or its id", "text")
        labels = {k: (v.strip() or None) if isinstance(v, str) else None for k, v in body.labels.model_dump().items()}
        if not any(labels.values()):
            raise ApiError(422, "invalid_field", "labels: give at least one of agency, group, topic", "labels")
        model = body.model or (holder.router.id if holder.router is not None else None)
        row = await asyncio.to_thread(store.add, text=text, labels=labels, model=model,
                                      time=None if body.time is None else str(body.time),
                                      message_id=None if body.id is None else str(body.id))
        metrics.FEEDBACK.inc()
        return {"stored": True, "row": row["row"], "received_at": row["received_at"], "model": model}

    @app.get("/feedback/export", tags=["feedback"],
             summary="All feedback as CSV (needs the admin token when one is set)")
    async def feedback_export(request: Request):
        if admin_token() is not None:
            check_admin(request)
        return StreamingResponse(store.csv_chunks(), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="curnlp-feedback.csv"'})

    # -- admin
    @app.post("/admin/reload", tags=["admin"], summary="Swap to a new bundle; a broken one is refused")
    async def reload(request: Request, body: ReloadIn | None = None):
        check_admin(request)
        path = body.model if body is not None else None
        try:
            new = await asyncio.to_thread(holder.reload, path)
        except ReloadRefused as exc:
            metrics.RELOADS.labels("refused").inc()
            raise ApiError(409, "reload_refused", f"kept bundle {holder.router.id if holder.ready else None}: {exc}",
                           "model") from exc
        metrics.RELOADS.labels("ok").inc()
        return {"model": new.id, "model_path": str(new.path) if new.path else None, "generation": holder.generation}

    # -- pages
    @app.get("/", include_in_schema=False)
    async def page():
        return Response(_static("index.html"), media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return Response(_static("docs.html"), media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str):
        if name not in _STATIC_TYPES:
            raise HTTPException(404, f"no static file {name!r}")
        return Response(_static(name), media_type=_STATIC_TYPES[name], headers=_PAGE_HEADERS)

    return app
