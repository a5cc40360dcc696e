"""The web workspace: one ASGI application (FastAPI on Starlette, served by uvicorn).

:func:`create_app` builds it: server-rendered pages (:mod:`lineage.web.pages`), the JSON API
under ``/api/v1`` (:mod:`lineage.web.api`) with its OpenAPI document at
``/api/v1/openapi.json``, static assets shipped in the package (``lineage/web/static``), and
the security every response gets: a strict Content-Security-Policy (no script at all, styles
only from the server), no caching, no referrer, no framing; HSTS under TLS.

Errors are mapped to HTTP once, here: :class:`NotFoundError` 404; :class:`UsageError`,
:class:`InputError`, :class:`ConfigurationError` 400; :class:`RenderError` 500;
:class:`DatabaseUnavailable` 503; :class:`DatabaseError` 502. API errors are JSON
``{"detail": "..."}``; validation errors never echo the input back (it may hold a student ID).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from lineage.web import service
from lineage.web.security import FailureLimit, Sessions

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")

#: Failed sign-ins allowed per user name, and per client address, in :data:`LIMIT_WINDOW` s.
#: Largest request body accepted (bytes): a form, an API request or one OpenLineage event.
#: Larger: 413, before any of it is read into memory or stored.
MAX_BODY_BYTES = 4 * 1024 * 1024

#: The server's own log (database errors are logged here in full; clients get a short text).
log = logging.getLogger("lineage.web")

USER_FAILURES = 5
ADDRESS_FAILURES = 20
LIMIT_WINDOW = 15 * 60


@dataclass
class WebConfig:
    """How the workspace runs.

    ``secure``: cookies are ``Secure`` and HSTS is sent (TLS here or at a proxy);
    ``public_inventory``: the data inventory (page and ``GET /api/v1/inventory``) needs no
    sign-in; ``secret``: the key that signs session cookies (random per start when ``None``).
    """

    neo4j: service.Neo4jSettings
    lineage: service.LineageSettings
    public_inventory: bool = False
    secure: bool = False
    secret: bytes | None = None
    #: where OpenLineage datasets belong (``--openlineage-mapping``); None: events only stored
    openlineage_mapping: Any = None


@dataclass
class Workspace:
    """What every request handler reaches through ``request.app.state.ws``."""

    config: WebConfig
    store: service.Store
    pseudo: service.Pseudonymizer
    sessions: Sessions
    user_limit: FailureLimit = field(default_factory=lambda: FailureLimit(USER_FAILURES,
                                                                          LIMIT_WINDOW))
    address_limit: FailureLimit = field(default_factory=lambda: FailureLimit(ADDRESS_FAILURES,
                                                                             LIMIT_WINDOW))
    env: jinja2.Environment = field(default_factory=lambda: _jinja())
    css: dict[str, str] = field(default_factory=dict)


def _jinja() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["access"] = lambda a: service.ACCESS_LABELS.get(a or "", a or "")
    env.filters["role"] = lambda r: service.ROLE_LABELS.get(r or "", (r or "").replace("_", " "))
    env.filters["join_list"] = lambda v, sep="; ": sep.join(str(x) for x in v or [] if x)
    return env


def create_app(config: WebConfig, store: service.Store | None = None) -> FastAPI:
    """The workspace application. ``store`` is opened from ``config.neo4j`` when not given (and
    closed at shutdown). Raises :class:`ConfigurationError` without a pseudonym key."""
    from contextlib import asynccontextmanager

    from lineage.web import api, pages

    pseudo = service.pseudonymizer(config.lineage)
    own_store = store is None
    ws = Workspace(config=config, store=store or service.open_store(config.neo4j), pseudo=pseudo,
                   sessions=Sessions(config.secret or secrets.token_bytes(32),
                                     secure=config.secure))

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        access = logging.getLogger("uvicorn.access")
        if not any(isinstance(f, PathOnlyAccessLog) for f in access.filters):
            access.addFilter(PathOnlyAccessLog())
        yield
        if own_store:
            ws.store.close()

    app = FastAPI(
        title="Student data lineage: workspace API",
        version="1",
        description=("Who could ever have touched a student's information: the answers of the "
                     "`lineage` CLI (same JSON shapes as `--format json`), for privacy officers' "
                     "tools and data pipelines. Authenticate with `Authorization: Bearer <API "
                     "key>` (`lineage keys create`). Student IDs travel in request bodies only, "
                     "never in URLs. `POST /api/v1/lineage` receives OpenLineage events."),
        openapi_url=None, docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
    )
    app.state.ws = ws
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    _install_handlers(app)

    @app.middleware("http")
    async def api_authentication(request: Request, call_next):
        # the API authenticates before anything else (even a body that is not JSON): an
        # anonymous or unknown caller gets 401 on every endpoint but the public inventory
        if request.url.path.startswith("/api/"):
            header = request.headers.get("authorization", "")
            public = (config.public_inventory and not header and request.method == "GET"
                      and request.url.path == "/api/v1/inventory")
            if not public:
                from starlette.concurrency import run_in_threadpool

                from lineage.web.accounts import bearer_principal

                try:
                    principal = await run_in_threadpool(bearer_principal, ws.store, header)
                except service.LineageError as exc:
                    return JSONResponse({"detail": _message(exc)}, status_code=_status(exc))
                if principal is None:
                    message = ("an API key is needed: send 'Authorization: Bearer <key>'"
                               if not header else "the API key is unknown or revoked")
                    return JSONResponse({"detail": message}, status_code=401,
                                        headers={"WWW-Authenticate": "Bearer"})
                request.state.principal = principal
            response = await call_next(request)
            if response.status_code < 400 and request.url.path != "/api/v1/lineage":
                from urllib.parse import quote

                from starlette.concurrency import run_in_threadpool

                try:        # every answer says when a source's last load did not finish
                    names = await run_in_threadpool(service.unfinished_source_names, ws.store)
                except service.LineageError:
                    names = []
                if names:
                    response.headers["X-Lineage-Incomplete"] = ", ".join(
                        quote(n, safe="") for n in names)
            return response
        return await call_next(request)

    @app.middleware("http")
    async def database_reachable(request: Request, call_next):
        # a stopped local database is said at once (503), not after the driver's retries
        # (~15 s per transaction); runs before the API key check, which reads the database
        if not request.url.path.startswith(("/static/", "/assets/")):
            from starlette.concurrency import run_in_threadpool

            try:
                await run_in_threadpool(ws.store.refuse_if_down)
            except service.LineageError as exc:
                return error_page(request, _status(exc), _message(exc))
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "no-referrer"
        h["X-Frame-Options"] = "DENY"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Cross-Origin-Resource-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not request.url.path.startswith(("/static/", "/assets/")):
            h["Cache-Control"] = "no-store"
        if config.secure:
            h["Strict-Transport-Security"] = "max-age=31536000"
        return response

    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)  # outermost: before anything reads
    return app


# --- errors --------------------------------------------------------------------------------------

def _status(exc: service.LineageError) -> int:
    if isinstance(exc, service.NotFoundError):
        return 404
    if isinstance(exc, (service.UsageError, service.InputError, service.ConfigurationError)):
        return 400
    if isinstance(exc, service.DatabaseUnavailable):
        return 503
    if isinstance(exc, service.DatabaseError):
        return 502
    return 500


def _message(exc: service.LineageError) -> str:
    if isinstance(exc, (service.DatabaseUnavailable, service.DatabaseError)):
        # the database's address and the operator's hints stay in the server's log
        log.error("%s%s", exc.message, f" ({exc.hint})" if exc.hint else "")
        return ("the lineage database is unavailable; try again in a moment (the server's "
                "log says why)" if isinstance(exc, service.DatabaseUnavailable)
                else "the lineage database refused the request (the server's log says why)")
    text = exc.message
    problems = getattr(exc, "problems", None)
    if problems:
        text += ": " + "; ".join(str(p) for p in problems)
    if exc.hint:
        text += f" ({exc.hint})"
    return text


class PathOnlyAccessLog(logging.Filter):
    """Drops the query string from uvicorn's access log lines: a student ID typed into a URL
    by mistake (``/student?student_id=...``) never reaches the log (README "Privacy of the
    tracker"). uvicorn's access record args are ``(client, method, path, http_version,
    status)``."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class BodyLimit:
    """ASGI middleware: a request body larger than ``limit`` bytes gets 413 (by its
    Content-Length at once, or as soon as a chunked body passes the limit); nothing of it is
    stored."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:  # noqa: D102
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._too_large(send)
            return
        seen = 0
        started = refused = False

        async def limited_receive() -> dict:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    refused = True
                    if not started:
                        await self._too_large(send)
                    return {"type": "http.disconnect"}  # the application stops reading
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if refused:
                return  # the 413 was sent; whatever the application answers is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if not refused:
                raise

    async def _too_large(self, send: Any) -> None:
        body = (b'{"detail":"the request is larger than %d bytes"}' % self.limit)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def is_api(request: Request) -> bool:
    """True for a request to the JSON API."""
    return request.url.path.startswith("/api/")


def error_page(request: Request, status: int, message: str,
               headers: dict[str, str] | None = None) -> Response:
    """An HTML error page (or JSON ``{"detail"}`` for the API)."""
    if is_api(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    ws: Workspace = request.app.state.ws
    html = ws.env.get_template("error.html.j2").render(
        status=status, message=message, principal=None, csrf=None, title=f"Error {status}",
        nav=[],
        public_inventory=ws.config.public_inventory)
    return HTMLResponse(html, status_code=status, headers=headers)


class SignInRequired(Exception):
    """A page needs a signed-in user: the browser is sent to the sign-in page."""


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(service.LineageError)
    async def lineage_error(request: Request, exc: service.LineageError):
        return error_page(request, _status(exc), _message(exc))

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired):
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return error_page(request, exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        # never echo the input (it may be a student ID): location, message and type only
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        if is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        text = "; ".join(f"{'.'.join(e['loc'][1:]) or 'form'}: {e['msg']}" for e in errors)
        return error_page(request, 400, f"the form is not valid: {text}")


def json_default(value: Any) -> str:
    """Dates and other values in JSON output, as the CLI writes them."""
    return service.cell(value)
