"""``lineage serve``: the web workspace and JSON API (:mod:`lineage.web`), under uvicorn."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import click

from lineage.commands.common import examples
from lineage.core.errors import ConfigurationError, UsageError

WEB_HINT = "install the web extra: pip install 'student-data-lineage[web]'"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, tls_cert: Path | None, tls_key: Path | None, behind_proxy: bool) -> None:
    """Refuse (:class:`UsageError`, exit 2) to listen beyond loopback without TLS here
    (``--tls-cert`` and ``--tls-key``) or a TLS-terminating proxy in front (``--behind-proxy``)."""
    if (tls_cert is None) != (tls_key is None):
        raise UsageError("give both --tls-cert and --tls-key, or neither")
    if is_loopback(host) or tls_cert is not None or behind_proxy:
        return
    raise UsageError(f"refusing to listen on {host} without TLS: only loopback addresses "
                     "(127.0.0.1, ::1, localhost) may be served over plain HTTP",
                     hint="give --tls-cert FILE --tls-key FILE, or --behind-proxy when a "
                          "reverse proxy in front terminates TLS")


def web_secret() -> bytes | None:
    """``LINEAGE_WEB_SECRET`` (at least 32 characters), the key that signs session cookies; when
    unset, a random key per start (everyone signs in again after a restart)."""
    value = os.environ.get("LINEAGE_WEB_SECRET")
    if value is None:
        return None
    if len(value) < 32:
        raise ConfigurationError("bad setting: LINEAGE_WEB_SECRET: at least 32 characters",
                                 hint="e.g. python -c 'import secrets; "
                                      "print(secrets.token_urlsafe(32))'")
    return value.encode("utf-8")


def load_web():
    """Import the web package, or say what to install (:class:`ConfigurationError`)."""
    try:
        from lineage.web import app, service  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(f"the web workspace needs {exc.name}, which is not installed",
                                 hint=WEB_HINT) from None
    return app, service


@click.command("serve", epilog=examples(
    "lineage serve",
    "lineage serve --port 8081 --public-inventory"))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs TLS or --behind-proxy.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TLS certificate chain (PEM).")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TLS private key (PEM).")
@click.option("--behind-proxy", is_flag=True,
              help="A reverse proxy in front terminates TLS: cookies are Secure, and the client "
                   "address is read from X-Forwarded-For sent by --forwarded-allow-ips.")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              help="Proxy addresses trusted for X-Forwarded-* headers (with --behind-proxy).")
@click.option("--public-inventory", is_flag=True,
              help="Serve the data inventory (page and API) without sign-in.")
@click.option("--openlineage-mapping", "ol_mappings", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Mapping file(s) of `lineage load --openlineage`: events received at "
                   "POST /api/v1/lineage are then applied to the graph (without: only stored).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              default="info", show_default=True)
@click.pass_context
def serve(ctx, host, port, tls_cert, tls_key, behind_proxy, forwarded_allow_ips,
          public_inventory, ol_mappings, log_level):
    """Serve the web workspace and the JSON API (default http://127.0.0.1:8080).

    Pages for privacy officers (student look-up, breach impact, audit, data inventory,
    sources, look-ups), the JSON API under /api/v1 (OpenAPI document at
    /api/v1/openapi.json) and the OpenLineage receiver (POST /api/v1/lineage). Users sign in
    (`lineage users add`); programs use API keys (`lineage keys create`). Student IDs are sent
    only in POST bodies: never in a URL or the access log.
    """
    check_bind(host, tls_cert, tls_key, behind_proxy)
    secret = web_secret()
    web_app, service = load_web()
    try:
        import uvicorn
    except ImportError:
        raise ConfigurationError("the web workspace needs uvicorn, which is not installed",
                                 hint=WEB_HINT) from None
    root = ctx.find_root().obj
    config = web_app.WebConfig(neo4j=root.neo4j, lineage=root.lineage,
                               public_inventory=public_inventory,
                               secure=tls_cert is not None or behind_proxy, secret=secret)
    service.pseudonymizer(root.lineage)  # no key: exit 2 before touching the database
    if ol_mappings:  # a bad mapping: exit 2 before serving
        from lineage.sources.openlineage import read_mapping

        config.openlineage_mapping = read_mapping(list(ol_mappings))
    store = service.open_store(root.neo4j)
    try:
        service.prepare(store)
        app = web_app.create_app(config, store=store)
        scheme = "https" if tls_cert else "http"
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"lineage workspace on {scheme}://{shown}:{port}/ (API: /api/v1, "
                   f"database {root.neo4j.uri}); Ctrl-C stops it", err=True)
        uvicorn.run(app, host=host, port=port, ssl_certfile=str(tls_cert) if tls_cert else None,
                    ssl_keyfile=str(tls_key) if tls_key else None, proxy_headers=behind_proxy,
                    forwarded_allow_ips=forwarded_allow_ips if behind_proxy else None,
                    server_header=False, log_level=log_level, use_colors=False,
                    timeout_graceful_shutdown=10)
    finally:
        store.close()


COMMANDS = [serve]
