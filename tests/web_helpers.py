"""Helpers of the web workspace tests: a Riverside graph with users and API keys, an app on it,
signing in through the real sign-in form."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi.testclient import TestClient

from lineage.core.settings import LineageSettings
from lineage.web import accounts, service
from lineage.web.app import WebConfig, create_app
from tests.helpers import TEST_KEY, load_riverside

PASSWORDS = {"olivia": "officer-password-1", "arthur": "analyst-password-1",
             "vera": "viewer-password-1"}
ROLES = {"olivia": "officer", "arthur": "analyst", "vera": "viewer"}
KEY_ROLES = ("officer", "analyst", "viewer", "ingest")


@dataclass
class Riverside:
    """The loaded graph's store, the API keys by role and how to build apps on it."""

    store: service.Store
    keys: dict[str, str]

    def app(self, **config):
        cfg = WebConfig(neo4j=self.store.settings,
                        lineage=LineageSettings(pseudonym_key=TEST_KEY), **config)
        return create_app(cfg, store=self.store)

    def client(self, base_url: str = "http://testserver", **config) -> TestClient:
        return TestClient(self.app(**config), base_url=base_url, follow_redirects=False)

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


def load_workspace(store) -> Riverside:
    """Riverside, the workspace schema, three users and one API key per role."""
    load_riverside(store)
    service.prepare(store)
    for name, role in ROLES.items():
        accounts.add_user(store, name, role, PASSWORDS[name])
    keys = {role: accounts.create_key(store, f"{role}-key", role) for role in KEY_ROLES}
    return Riverside(store, keys)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def sign_in(client: TestClient, name: str, password: str | None = None) -> str:
    """Sign in through the form; returns the signed-in session's CSRF token."""
    r = client.get("/signin")
    assert r.status_code == 200
    r = client.post("/signin", data={"username": name, "password": password or PASSWORDS[name],
                                     "csrf": csrf_of(r.text)})
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    r = client.get("/")
    assert r.status_code == 200
    return csrf_of(r.text)


@contextmanager
def serving(app, port: int):
    """Serve ``app`` with uvicorn on 127.0.0.1:``port`` in a thread; yields the base URL.
    Stops the server (and fails) if it does not start within 30 s."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"the test server on port {port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
