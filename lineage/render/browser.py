"""Neo4j Browser links for one student's lineage, and the small local guide server (CORS for
the Browser's ``:play``)."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from lineage.core.errors import RenderError


# -- Neo4j Browser ---------------------------------------------------------------------------------
def browser_base(http_port: int, bolt_uri: str) -> str:
    """``http://<host of the Bolt URI>:<http_port>/browser/`` (the local server's Browser)."""
    host = urlsplit(bolt_uri).hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{http_port}/browser/"


def param_command(student_key: str) -> str:
    """The Browser command that sets the query's parameter: ``:param student_key => '<key>'``."""
    return f":param student_key => '{_check_key(student_key)}'"


def _check_key(student_key: str) -> str:
    if not student_key or not all(c in "0123456789abcdef" for c in student_key):
        raise RenderError("internal: a student key is a lowercase hex pseudonym")
    return student_key


def browser_query_text(student_key: str | None = None) -> str:
    """``cypher/queries/browse_exposure.cypher`` for Browser's editor, without its long header.

    Without ``student_key``: the statement as it is (it reads ``$student_key``; run
    :func:`param_command` first). With it: the one-run form ``lineage browse`` links to --
    the parameter written in as ``WITH '<key>' AS student_key`` on the first line, because
    Browser draws a graph only for a single statement (a ``:param ...;`` + query script shows
    summaries only) and does not keep parameters across page loads. The key must be a hex
    pseudonym (:class:`RenderError` otherwise: an internal error, exit 6), so nothing but hex digits is written in.
    """
    from lineage.graph.cypher import query

    lines = query("queries/browse_exposure").splitlines()
    while lines and lines[0].lstrip().startswith("//"):
        lines.pop(0)
    body = "\n".join(lines).strip()
    if student_key is None:
        return "// One student's lineage (cypher/queries/browse_exposure.cypher)\n" + body
    key = _check_key(student_key)
    if body.count("$student_key") != 1:
        raise RenderError("internal: browse_exposure.cypher must read $student_key exactly once")
    return (f"// lineage browse: cypher/queries/browse_exposure.cypher with {param_command(key)}"
            f" written in\nWITH '{key}' AS student_key\n"
            + body.replace("$student_key", "student_key"))


def browse_url(editor_text: str, *, base: str, bolt_uri: str | None = None,
               user: str | None = None, no_auth: bool = True, database: str | None = None,
               cmd: str = "edit") -> str:
    """A Neo4j Browser URL that opens with ``editor_text`` in the editor, ready to run
    (Browser URL parameters ``cmd=edit&arg=...``; Browser never runs it by itself). With
    ``cmd="play"`` the editor holds ``:play <editor_text>`` (a guide URL).

    ``bolt_uri`` pre-fills the connection (``dbms=``, the server the lineage commands use);
    ``no_auth`` preselects "No authentication" (else the user name is pre-filled). Browser
    decodes the whole URL before reading ``arg``, so the text must not contain ``&`` or ``#``:
    raises :class:`RenderError` (internal, exit 6) if it does.
    """
    if "&" in editor_text or "#" in editor_text:
        raise RenderError("internal: a Browser editor text must not contain '&' or '#'")
    params = []
    if bolt_uri:
        parts = urlsplit(bolt_uri)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        if user and not no_auth:
            netloc = f"{user}@{netloc}"
        params.append("dbms=" + quote(f"{parts.scheme}://{netloc}", safe=""))
    if database:
        params.append("db=" + quote(database, safe=""))
    params.append("preselectAuthMethod=" + ("NO_AUTH" if no_auth else "NATIVE"))
    if cmd not in ("edit", "play", "param", "params"):
        raise RenderError(f"internal: Browser has no URL command {cmd!r}")
    params.append(f"cmd={cmd}")
    params.append("arg=" + quote(editor_text, safe=""))
    sep = "&" if "?" in base else "?"
    return base + sep + "&".join(params)


def browser_dir() -> Path:
    """The folder holding ``style.grass`` and ``guide.html``."""
    from lineage.core.resources import cypher_dir

    return cypher_dir() / "browser"


class _GuideHandler(SimpleHTTPRequestHandler):
    """Static files with CORS (Browser fetches a guide from its own page's origin)."""

    def end_headers(self) -> None:  # noqa: D102
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_OPTIONS(self) -> None:  # noqa: N802 - CORS preflight (Browser sends no-cache headers)
        self.send_response(204)
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Headers",
                         self.headers.get("Access-Control-Request-Headers") or "*")
        self.send_header("Access-Control-Max-Age", "600")
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # noqa: D102 - quiet
        return


def serve_guide(port: int = 8001, host: str = "localhost") -> tuple[ThreadingHTTPServer, str]:
    """Serve :func:`browser_dir` over HTTP with CORS in a background thread.

    Returns ``(server, guide_url)``; stop with ``server.shutdown()``. Browser plays guides only
    from hosts in ``browser.remote_content_hostname_allowlist`` (default ``localhost``).
    Raises :class:`RenderError` when the port cannot be opened.
    """
    handler = partial(_GuideHandler, directory=str(browser_dir()))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise RenderError(f"cannot serve the guide on {host}:{port}: {exc.strerror or exc}",
                          hint="pick another port with --guide-port") from None
    thread = threading.Thread(target=server.serve_forever, name="lineage-guide", daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_address[1]}/guide.html"
