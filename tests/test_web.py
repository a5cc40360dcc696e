"""The web workspace and JSON API (``lineage serve``) on the Riverside seed, in-process (Starlette's
TestClient) against the real Neo4j: sign-in, roles, CSRF, rate limit, cookies, API keys, the
JSON shapes (the CLI's ``--format json``), look-up records, and the spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import date

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from lineage.cli import main
from lineage.web import service
from lineage.web.app import CSP
from tests.helpers import PSEUDO
from tests.web_helpers import PASSWORDS, csrf_of, load_workspace, sign_in

KEY = PSEUDO("RSD-1001")


@pytest.fixture(scope="module")
def rs(store):
    return load_workspace(store)


def cli(env, *args, input=None):
    return CliRunner().invoke(main, list(args), env=env, input=input)


# --- anonymous: 401 on the API, sign-in page for pages -------------------------------------------

def api_routes():
    from lineage.web.api import router

    out = []
    for r in router.routes:
        path = getattr(r, "path", "")
        if path.startswith("/api/v1"):
            for m in sorted(r.methods - {"HEAD"}):
                out.append((m, path.replace("{dataset_id}", "rsd-sis")))
    return out


def test_every_api_endpoint_needs_a_key(rs):
    c = rs.client()
    routes = api_routes()
    assert len(routes) == 15
    for method, path in routes:
        for body in (None, b"not json", b"{}"):
            r = c.request(method, path, content=body,
                          headers={"content-type": "application/json"})
            assert r.status_code == 401, (method, path, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.json() == {"detail": "an API key is needed: send 'Authorization: Bearer "
                                          "<key>'"}
        r = c.request(method, path, headers={"Authorization": "Bearer lk_forged"})
        assert r.status_code == 401 and "unknown or revoked" in r.json()["detail"]


def test_public_inventory_only_with_the_flag(rs):
    private = rs.client()
    assert private.get("/api/v1/inventory").status_code == 401
    assert private.get("/inventory").status_code == 303
    public = rs.client(public_inventory=True)
    r = public.get("/api/v1/inventory")
    assert r.status_code == 200
    assert {x["id"] for x in r.json()["recipients"]} >= {"routeco", "learnco", "state-doe"}
    page = public.get("/inventory")
    assert page.status_code == 200 and "Student data inventory" in page.text
    assert public.get("/inventory/download/csv").status_code == 200
    # everything else stays closed
    assert public.get("/api/v1/sources").status_code == 401
    assert public.get("/audit").status_code == 303
    assert public.get("/sources").status_code == 303


PAGES = ["/", "/student", "/impact", "/audit", "/sources", "/lookups", "/datasets/rsd-sis"]
POSTS = ["/student", "/student/path", "/student/report", "/student/record", "/impact",
         "/impact/csv", "/lookups"]


def test_pages_send_anonymous_browsers_to_sign_in(rs):
    c = rs.client()
    for path in PAGES:
        r = c.get(path)
        assert (r.status_code, r.headers["location"]) == (303, "/signin"), path
    for path in POSTS:
        r = c.post(path, data={"student_id": "RSD-1001", "csrf": "x"})
        assert (r.status_code, r.headers["location"]) == (303, "/signin"), path


# --- roles ---------------------------------------------------------------------------------------

STUDENT = {"student_id": "RSD-1001"}
API_CALLS = {  # endpoint -> (method, json body or None)
    "exposure": ("POST", "/api/v1/exposure", STUDENT),
    "path": ("POST", "/api/v1/path", {**STUDENT, "actor_id": "univ-reading-lab"}),
    "record": ("POST", "/api/v1/record", STUDENT),
    "report": ("POST", "/api/v1/report", STUDENT),
    "upstream": ("GET", "/api/v1/datasets/reading-study-file/upstream", None),
    "impact": ("POST", "/api/v1/impact", {"actor": "routeco"}),
    "audit": ("GET", "/api/v1/audit", None),
    "rules": ("GET", "/api/v1/audit/rules", None),
    "inventory": ("GET", "/api/v1/inventory", None),
    "sources": ("GET", "/api/v1/sources", None),
    "lookups": ("POST", "/api/v1/lookups", {}),
}
ALLOWED = {
    "officer": set(API_CALLS),
    "analyst": {"exposure", "path", "upstream", "impact", "audit", "rules", "inventory",
                "sources"},
    "viewer": {"inventory", "sources"},
    "ingest": set(),
}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_api_roles(rs, role):
    c = rs.client()
    for name, (method, path, body) in API_CALLS.items():
        r = c.request(method, path, json=body, headers=rs.headers(role))
        expected = 200 if name in ALLOWED[role] else 403
        assert r.status_code == expected, (role, name, r.text[:300])
        if expected == 403:
            assert r.json()["detail"].startswith(f"the role '{role}' may not use this")


def test_analyst_gets_403_on_parent_reports_in_pages(rs):
    c = rs.client()
    token = sign_in(c, "arthur")
    for path in ("/student/report", "/student/record"):
        r = c.post(path, data={"student_id": "RSD-1001", "format": "pdf", "csrf": token})
        assert r.status_code == 403, path
        assert "your role (analyst) may not open this page" in r.text
    page = c.post("/student", data={"student_id": "RSD-1001", "csrf": token})
    assert page.status_code == 200
    assert page.text.count("data-actor=") == 13 and "<svg" in page.text
    assert "download-pdf" not in page.text and "1. Record of disclosures" not in page.text
    assert c.get("/lookups").status_code == 403


def test_viewer_sees_inventory_and_sources_only(rs):
    c = rs.client()
    sign_in(c, "vera")
    for path in ("/inventory", "/sources"):
        assert c.get(path).status_code == 200, path
    for path in ("/student", "/impact", "/audit", "/lookups", "/datasets/rsd-sis"):
        assert c.get(path).status_code == 403, path
    home = c.get("/").text
    assert 'href="/inventory"' in home and 'href="/student"' not in home


# --- CSRF, cookies, sessions, rate limit ---------------------------------------------------------

def test_sign_in_needs_the_csrf_token_of_its_session(rs):
    c = rs.client()
    page = c.get("/signin")
    form = {"username": "olivia", "password": PASSWORDS["olivia"]}
    assert c.post("/signin", data=form).status_code == 403                          # missing
    assert c.post("/signin", data={**form, "csrf": "forged"}).status_code == 403    # forged
    other = rs.client()
    theirs = csrf_of(other.get("/signin").text)
    assert c.post("/signin", data={**form, "csrf": theirs}).status_code == 403      # not ours
    r = c.post("/signin", data={**form, "csrf": csrf_of(page.text)})
    assert r.status_code == 303


def test_every_form_refuses_a_forged_or_missing_token(rs):
    c = rs.client()
    token = sign_in(c, "olivia")
    other = rs.client()
    theirs = sign_in(other, "olivia")
    assert theirs != token
    for path in POSTS + ["/signout"]:
        for bad in ({}, {"csrf": ""}, {"csrf": "forged"}, {"csrf": theirs}):
            r = c.post(path, data={"student_id": "RSD-1001", "actor_id": "routeco",
                                   "target_id": "routeco", **bad})
            assert r.status_code == 403, (path, bad)
            assert "security token is missing or does not match" in r.text
    # still signed in: the forged sign-out did nothing; no look-up was recorded by them
    assert c.get("/").status_code == 200
    # every POST form of the pages carries the token
    page = c.post("/student", data={"student_id": "RSD-1001", "csrf": token}).text
    forms = re.findall(r"<form [^>]*>.*?</form>", page, flags=re.S)
    assert len(forms) >= 15
    for f in forms:
        assert 'method="post"' in f and f'name="csrf" value="{token}"' in f


def test_session_cookie_flags_and_no_fixation(rs):
    c = rs.client()
    r = c.get("/signin")
    anonymous = r.cookies["lineage_session"]
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    r = c.post("/signin", data={"username": "olivia", "password": PASSWORDS["olivia"],
                                "csrf": csrf_of(r.text)})
    signed = r.cookies["lineage_session"]
    assert signed != anonymous  # a new session id at sign-in
    token = csrf_of(c.get("/").text)
    # sign out ends the session on the server: the old cookie no longer works
    assert c.post("/signout", data={"csrf": token}).headers["location"] == "/signin"
    replay = rs.client()
    replay.cookies.set("lineage_session", signed)
    assert replay.get("/").status_code == 303
    # a cookie with a bad signature is no session
    forged = rs.client()
    forged.cookies.set("lineage_session", signed[:-2] + "xx")
    assert forged.get("/").status_code == 303


def test_secure_cookies_and_hsts_under_tls(rs):
    c = rs.client(base_url="https://testserver", secure=True)
    r = c.get("/signin")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-lineage=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert r.headers["strict-transport-security"] == "max-age=31536000"


def test_security_headers_and_no_script(rs):
    c = rs.client()
    token = sign_in(c, "olivia")
    pages = [c.get(p) for p in PAGES + ["/inventory"]]
    pages.append(c.post("/student", data={"student_id": "RSD-1001", "csrf": token}))
    pages.append(c.post("/student/path", data={"student_id": "RSD-1001", "csrf": token,
                                               "actor_id": "univ-reading-lab"}))
    for r in pages:
        assert r.status_code == 200, r.url
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"
        assert "<script" not in r.text.lower()
        assert not re.search(r"\son[a-z]+\s*=", r.text), r.url  # no inline event handlers
        assert not re.search(r"style\s*=", r.text), r.url       # no inline style attributes
        assert "<style" not in r.text
        assert not re.search(r"""(src|href)\s*=\s*["']https?:""", r.text)  # no CDN
        for form in re.findall(r"<form [^>]*>", r.text):
            assert 'method="post"' in form  # nothing is sent in a query string
    assert "script-src" not in CSP and "'unsafe-inline'" not in CSP
    css = c.get("/static/workspace.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    report_css = c.get("/assets/report.css")
    assert report_css.status_code == 200 and ".cls-identifiable" in report_css.text


def test_sign_in_is_rate_limited_per_user_and_per_address(rs):
    c = rs.client()
    token = csrf_of(c.get("/signin").text)
    for _ in range(5):
        r = c.post("/signin", data={"username": "olivia", "password": "wrong-password!",
                                    "csrf": token})
        assert r.status_code == 401 and "Wrong name or password." in r.text
    # the right password is refused now, without being checked
    r = c.post("/signin", data={"username": "olivia", "password": PASSWORDS["olivia"],
                                "csrf": token})
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    # per address: 20 failures over many names block every name from that address
    c2 = rs.client()
    token = csrf_of(c2.get("/signin").text)
    for i in range(20):
        assert c2.post("/signin", data={"username": f"nobody{i}", "password": "x" * 12,
                                        "csrf": token}).status_code == 401
    r = c2.post("/signin", data={"username": "vera", "password": PASSWORDS["vera"],
                                 "csrf": token})
    assert r.status_code == 429


def test_removed_user_is_signed_out_at_once(rs, env):
    c = rs.client()
    r = cli(env, "users", "add", "temp-officer", "--role", "officer", "--password-stdin",
            input="a-long-password-1\n")
    assert r.exit_code == 0, r.output
    sign_in(c, "temp-officer", "a-long-password-1")
    r = cli(env, "users", "remove", "temp-officer")
    assert r.exit_code == 0, r.output
    assert c.get("/").status_code == 303


# --- users and API keys --------------------------------------------------------------------------

def test_users_commands(rs, env):
    r = cli(env, "users", "list", "--format", "json")
    assert r.exit_code == 0
    users = json.loads(r.stdout)
    assert [(u["name"], u["role"]) for u in users] == [
        ("arthur", "analyst"), ("olivia", "officer"), ("vera", "viewer")]
    assert "hash" not in r.stdout and "argon2" not in r.stdout
    stored = rs.store.read_text("MATCH (u:WorkspaceUser {name: 'olivia'}) "
                                "RETURN u.password_hash AS h")[0]["h"]
    assert stored.startswith("$argon2id$") and PASSWORDS["olivia"] not in stored
    short = cli(env, "users", "add", "shorty", "--role", "viewer", "--password-stdin",
                input="short\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    dup = cli(env, "users", "add", "olivia", "--role", "viewer", "--password-stdin",
              input="another-password-1\n")
    assert dup.exit_code == 2 and "already exists" in dup.output
    bad = cli(env, "users", "add", "Bad Name!", "--role", "viewer", "--password-stdin",
              input="another-password-1\n")
    assert bad.exit_code == 2
    assert cli(env, "users", "remove", "nobody").exit_code == 1


def test_api_keys_are_shown_once_stored_hashed_and_revocable(rs, env):
    r = cli(env, "keys", "create", "pipeline", "--role", "ingest")
    assert r.exit_code == 0, r.output
    key = r.stdout.strip()
    assert re.fullmatch(r"lk_[A-Za-z0-9_-]{43}", key)
    assert "not shown again" in r.stderr
    rows = rs.store.read_text("MATCH (k:ApiKey {name: 'pipeline'}) RETURN properties(k) AS p")
    props = rows[0]["p"]
    assert props["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in json.dumps(props, default=str) and props["prefix"] == key[:8]
    listed = cli(env, "keys", "list", "--format", "json")
    assert key not in listed.stdout and props["key_hash"] not in listed.stdout
    c = rs.client()
    h = {"Authorization": f"Bearer {key}"}
    assert c.get("/api/v1/me", headers=h).json()["role"] == "ingest"
    assert cli(env, "keys", "create", "pipeline", "--role", "viewer").exit_code == 2
    assert cli(env, "keys", "revoke", "pipeline").exit_code == 0
    assert c.get("/api/v1/me", headers=h).status_code == 401
    assert "already revoked" in cli(env, "keys", "revoke", "pipeline").stderr
    assert cli(env, "keys", "revoke", "no-such-key").exit_code == 1


# --- the same answers as the CLI -----------------------------------------------------------------

def cli_json(env, *args):
    r = cli(env, *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_api_answers_have_the_cli_json_shapes(rs, env):
    c = rs.client()
    h = rs.headers("officer")

    def post(path, body):
        r = c.post(path, json=body, headers=h)
        assert r.status_code == 200, r.text
        return r.json()

    assert post("/api/v1/exposure", STUDENT) == cli_json(env, "exposure", "RSD-1001",
                                                         "--format", "json")
    assert post("/api/v1/exposure", {**STUDENT, "as_of": "2024-06-01",
                                     "element": "Student Name"}) == cli_json(
        env, "exposure", "RSD-1001", "--as-of", "2024-06-01", "--element", "Student Name",
        "--format", "json")
    assert post("/api/v1/record", STUDENT) == cli_json(
        env, "exposure", "RSD-1001", "--view", "record", "--format", "json")
    assert post("/api/v1/path", {**STUDENT, "actor_id": "univ-reading-lab"}) == cli_json(
        env, "path", "RSD-1001", "univ-reading-lab", "--format", "json")
    assert post("/api/v1/report", {**STUDENT, "received": "2026-11-20"}) == cli_json(
        env, "report", "RSD-1001", "--format", "json", "--received", "2026-11-20")
    assert c.get("/api/v1/datasets/rsd-sis/downstream?depth=2", headers=h).json() == cli_json(
        env, "downstream", "rsd-sis", "--depth", "2", "--format", "json")
    assert c.get("/api/v1/audit", headers=h).json() == cli_json(env, "check", "--format",
                                                                "json")
    assert c.get("/api/v1/inventory", headers=h).json() == cli_json(env, "inventory",
                                                                    "--format", "json")
    impact = post("/api/v1/impact", {"actor": "routeco", "since": "2024-01-01",
                                     "until": "2024-12-31"})
    expected = cli_json(env, "impact", "--actor", "routeco", "--since", "2024-01-01",
                        "--until", "2024-12-31", "--format", "json")
    # students come in no particular order
    key = lambda r: r["student"]  # noqa: E731
    assert sorted(impact.pop("students"), key=key) == sorted(expected.pop("students"), key=key)
    assert impact == expected
    assert impact["counts"]["students"] > 0


def test_api_report_downloads(rs):
    c = rs.client()
    h = rs.headers("officer")
    md = c.post("/api/v1/report", json={**STUDENT, "format": "md", "received": "2026-11-20"},
                headers=h)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# Who has seen the records of student RSD-1001")
    assert "by 2027-01-04" in md.text  # 45 days after the inquiry was received
    pdf = c.post("/api/v1/report", json={**STUDENT, "format": "pdf"}, headers=h)
    assert pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-disposition"] == 'attachment; filename="parent-report.pdf"'


def test_api_errors(rs):
    c = rs.client()
    h = rs.headers("officer")
    r = c.post("/api/v1/exposure", json={"student_id": "RSD-9999"}, headers=h)
    assert r.status_code == 404 and "RSD-9999" not in r.text
    assert r.json()["detail"].startswith("student not found: no student with that ID")
    r = c.post("/api/v1/path", json={**STUDENT, "actor_id": "nobody"}, headers=h)
    assert r.status_code == 404 and "actor not found: 'nobody'" in r.text
    r = c.post("/api/v1/impact", json={"actor": "routeco", "dataset": "rsd-sis"}, headers=h)
    assert r.status_code == 422  # exactly one of actor and dataset
    assert c.post("/api/v1/impact", json={}, headers=h).status_code == 422
    r = c.post("/api/v1/impact", json={"actor": "routeco", "since": "2025-01-01",
                                       "until": "2024-01-01"}, headers=h)
    assert r.status_code == 400 and "until 2024-01-01 is before since 2025-01-01" in r.text
    r = c.post("/api/v1/impact", json={"actor": "nobody"}, headers=h)
    assert r.status_code == 404 and "actor not found" in r.text
    r = c.get("/api/v1/audit?rule=no-such-rule", headers=h)
    assert r.status_code == 422 and "small-cell" in r.text  # the rules are listed
    r = c.get("/api/v1/audit?rules=small-cell", headers=h)
    assert r.status_code == 400 and r.json() == {
        "detail": "unknown query parameter; this endpoint takes: fail_on, min_cell_size, rule"}
    r = c.get("/api/v1/audit?rule=small-cell&rule=roster-access", headers=h)
    assert r.json()["rules"] == ["small-cell", "roster-access"]
    # a validation error never echoes the value (it may be a student ID)
    long_id = "RSD-" + "7" * 130          # longer than STUDENT_ID_MAX (128)
    r = c.post("/api/v1/exposure", json={"student_id": long_id}, headers=h)
    assert r.status_code == 422 and long_id not in r.text and "7777" not in r.text


# --- CSV safe to open in a spreadsheet -----------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)",
                                                                                 "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Student Name", "Student Name"), ("", ""),
    (None, ""), (["b", "=a"], "b; =a"), (["=a", "b"], "'=a; b"), (True, "yes"),
])
def test_safe_cell(value, expected):
    assert service.safe_cell(value) == expected


@given(st.text())
def test_safe_cell_never_starts_a_formula_and_keeps_the_text(text):
    out = service.safe_cell(text)
    assert not out.startswith(service.FORMULA_START)
    assert out == text or out == "'" + text


def test_impact_csv_streams_safe_cells():
    rows = [{"student": "a" * 32, "elements": ["=cmd|' /C calc'!A0"], "first_date": "2024-01-01",
             "last_date": None, "datasets": ["-x"]} for _ in range(1201)]
    chunks = list(service.impact_csv(iter(rows)))
    # header + 500 rows, 500 rows, the last 201: streamed, never one string
    assert [c.count("\n") for c in chunks] == [501, 500, 201]
    parsed = list(csv.reader(io.StringIO("".join(chunks))))
    assert parsed[0] == service.IMPACT_COLUMNS and len(parsed) == 1202
    assert parsed[1] == ["a" * 32, "'=cmd|' /C calc'!A0", "2024-01-01", "", "'-x"]


def test_impact_pages_and_csv_download(rs):
    c = rs.client()
    token = sign_in(c, "arthur")
    form = {"target": "actor", "target_id": "routeco", "since": "2024-01-01",
            "until": "2024-12-31", "csrf": token}
    page = c.post("/impact", data=form)
    counts = service.impact_counts(service.impact(rs.store, actor="routeco",
                                                  since=date(2024, 1, 1),
                                                  until=date(2024, 12, 31)))
    assert f"{counts['students']} students affected by a breach of actor routeco" in page.text
    for element, n in counts["elements"].items():
        assert f"<td>{element}</td><td class=\"n\">{n}</td>" in page.text
    r = c.post("/impact/csv", data=form)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == counts["students"]
    assert all(re.fullmatch(r"[0-9a-f]{32}", x["student"]) for x in rows)
    r = c.post("/impact", data={**form, "target_id": "nobody"})
    assert r.status_code == 404 and "actor not found" in r.text


# --- look-up records -----------------------------------------------------------------------------

def test_lookups_are_recorded_from_web_api_and_cli(rs, env, tmp_path):
    start = rs.store.read_text("MATCH (l:Lookup) RETURN count(l) AS n")[0]["n"]
    c = rs.client()
    token = sign_in(c, "olivia")
    assert c.post("/student", data={"student_id": "RSD-1001", "csrf": token}).status_code == 200
    assert c.post("/student/path", data={"student_id": "RSD-1001", "csrf": token,
                                         "actor_id": "routeco"}).status_code == 200
    assert c.post("/student/report", data={"student_id": "RSD-1001", "csrf": token,
                                           "format": "md", "received": "2026-11-20"}
                  ).status_code == 200
    assert c.post("/student/record", data={"student_id": "RSD-1001", "csrf": token}
                  ).status_code == 200
    api = rs.client()
    assert api.post("/api/v1/exposure", json=STUDENT,
                    headers=rs.headers("analyst")).status_code == 200
    assert api.post("/api/v1/impact", json={"dataset": "reading-study-file", "format": "csv"},
                    headers=rs.headers("analyst")).status_code == 200
    assert cli(env, "exposure", "RSD-1001").exit_code == 0
    assert cli(env, "path", "RSD-1001", "state-doe").exit_code == 0
    assert cli(env, "impact", "--actor", "routeco", "--format", "csv").exit_code == 0
    assert cli(env, "report", "RSD-1002", "--format", "md").exit_code == 0
    assert cli(env, "graph", "RSD-1001", "--out", str(tmp_path / "g.html")).exit_code == 0
    assert cli(env, "browse", "RSD-1001").exit_code == 0
    # nothing recorded for what failed
    assert api.post("/api/v1/exposure", json={"student_id": "RSD-9999"},
                    headers=rs.headers("analyst")).status_code == 404

    rows = rs.store.read_text("MATCH (l:Lookup) RETURN properties(l) AS p ORDER BY l.at")
    new = [r["p"] for r in rows][start:]
    import getpass

    me = getpass.getuser()
    got = [(p["who"], p["who_kind"], p["channel"], p["what"], p.get("student"), p.get("detail"))
           for p in new]
    assert got == [
        ("olivia", "user", "web", "report", KEY, "web page"),
        ("olivia", "user", "web", "path", KEY, "actor=routeco"),
        ("olivia", "user", "web", "report", KEY, "format=md received=2026-11-20"),
        ("olivia", "user", "web", "record", KEY, "format=csv"),
        ("analyst-key", "api_key", "api", "exposure", KEY, None),
        ("analyst-key", "api_key", "api", "impact", None, "dataset=reading-study-file format=csv"),
        (me, "os_user", "cli", "exposure", KEY, None),
        (me, "os_user", "cli", "path", KEY, "actor=state-doe"),
        (me, "os_user", "cli", "impact", None, "actor=routeco format=csv"),
        (me, "os_user", "cli", "report", PSEUDO("RSD-1002"), "format=md"),
        (me, "os_user", "cli", "picture", KEY, "format=html"),
        (me, "os_user", "cli", "browse", KEY, None),
    ]
    assert "RSD-100" not in json.dumps(new, default=str)  # pseudonyms only

    # lineage lookups: by student (typed ID, hashed), by user, since
    listed = cli_json(env, "lookups", "--student", "RSD-1002", "--format", "json")["lookups"]
    assert [(x["who"], x["what"]) for x in listed] == [(me, "report")]
    by_user = cli_json(env, "lookups", "--user", "OLIVIA", "--format", "json")["lookups"]
    # newest first: this test's four (earlier tests of the module signed in as olivia too)
    assert [x["what"] for x in by_user][:4] == ["record", "report", "path", "report"]
    assert {x["who"] for x in by_user} == {"olivia"}
    assert cli_json(env, "lookups", "--since", "2999-01-01", "--format", "json") == {
        "lookups": []}
    assert len(cli_json(env, "lookups", "--since", date.today().isoformat(),
                        "--format", "json")["lookups"]) >= 10
    # the officers' page and API list the same, the student given in a form or body
    page = c.post("/lookups", data={"student_id": "RSD-1002", "csrf": token})
    assert "1 record for the student typed" in page.text and PSEUDO("RSD-1002") in page.text
    r = api.post("/api/v1/lookups", json={"student_id": "RSD-1002"},
                 headers=rs.headers("officer"))
    assert r.json() == {"lookups": listed}


def test_lookup_records_refuse_anything_but_a_pseudonym(rs):
    from lineage.questions.lookups import record_lookup

    with pytest.raises(ValueError, match="pseudonym"):
        record_lookup(rs.store, "someone", "exposure", "RSD-1001")
    with pytest.raises(ValueError, match="what must be one of"):
        record_lookup(rs.store, "someone", "delete", KEY)


def test_no_cypher_updates_or_deletes_lookups():
    from lineage.core.resources import cypher_dir

    for path in cypher_dir().rglob("*.cypher"):
        text = path.read_text()
        body = "\n".join(x for x in text.splitlines() if not x.strip().startswith("//"))
        if ":Lookup" in body or "(l:Lookup" in body:
            assert not re.search(r"\b(SET|DELETE|REMOVE|MERGE)\b", body), path
        if ":OpenLineageEvent" in body:
            assert not re.search(r"\b(SET|DELETE|REMOVE|MERGE)\b", body), path


# --- serve: where it may listen ------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    (["--host", "0.0.0.0"], "refusing to listen on 0.0.0.0 without TLS"),
    (["--host", "192.0.2.10"], "refusing to listen on 192.0.2.10 without TLS"),
    (["--host", "example.org"], "refusing to listen on example.org without TLS"),
    (["--tls-cert", "pyproject.toml"], "give both --tls-cert and --tls-key"),
])
def test_serve_refuses_to_listen_beyond_loopback_without_tls(env, args, message):
    r = cli(env, "serve", *args)
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output


def test_loopback_addresses():
    from lineage.commands.serve import is_loopback

    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.org", ""))


def test_serve_needs_the_pseudonym_key(env):
    r = CliRunner().invoke(main, ["serve"], env={**env, "LINEAGE_PSEUDONYM_KEY": ""})
    assert r.exit_code == 2 and "no pseudonym key" in r.output
    r = CliRunner().invoke(main, ["serve"], env={**env, "LINEAGE_WEB_SECRET": "short"})
    assert r.exit_code == 2 and "LINEAGE_WEB_SECRET" in r.output


def test_report_can_include_who_looked(rs, env):
    c = rs.client()
    token = sign_in(c, "olivia")
    assert c.post("/student", data={"student_id": "RSD-1003", "csrf": token}).status_code == 200
    assert cli(env, "exposure", "RSD-1003").exit_code == 0
    plain = cli(env, "report", "RSD-1003", "--format", "md")
    assert plain.exit_code == 0 and "## 5. Who in the district looked" not in plain.stdout
    r = cli(env, "report", "RSD-1003", "--format", "md", "--include-lookups")
    assert r.exit_code == 0, r.output
    section = r.stdout.split("## 5. Who in the district looked at these records")[1]
    section = section.split("## About this report")[0]
    import getpass

    rows = re.findall(r"^\| (\S+Z) \| (.+?) \| (\w+) \| (\w+) \|$", section, flags=re.M)
    # oldest first: the web page, the CLI exposure, the report without the flag
    assert [r[1:] for r in rows] == [("olivia", "web", "report"),
                                     (getpass.getuser(), "cli", "exposure"),
                                     (getpass.getuser(), "cli", "report")]
    assert PSEUDO("RSD-1003") not in r.stdout
    api = c.post("/student/report", data={"student_id": "RSD-1003", "csrf": token,
                                          "format": "json", "include_lookups": "yes"}).json()
    assert [x["what"] for x in api["lookups"]] == ["report", "exposure", "report", "report"]
    assert set(api["lookups"][0]) == {"at", "who", "channel", "what"}
    html = c.post("/api/v1/report", json={"student_id": "RSD-1003", "format": "html",
                                          "include_lookups": True},
                  headers=rs.headers("officer")).text
    assert "5. Who in the district looked at these records" in html and "<td>olivia</td>" in html


def test_a_lost_database_is_503_without_its_address_or_the_operators_hints(caplog):
    """Before sign-in (and after), a database that cannot be reached answers 503 with a short
    text: its URI and the operator's hints go to the server's log only."""
    import logging

    from fastapi.testclient import TestClient

    from lineage.core.settings import LineageSettings, Neo4jSettings
    from lineage.web.accounts import KEY_PREFIX
    from lineage.web.app import WebConfig, create_app
    from tests.helpers import TEST_KEY

    import socket

    hung = socket.socket()  # accepts connections and never answers: a lost database
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)
    port = hung.getsockname()[1]
    dead = Neo4jSettings(uri=f"bolt://127.0.0.1:{port}", timeout=3)
    with hung, service.open_store(dead) as store:
        app = create_app(WebConfig(neo4j=dead, lineage=LineageSettings(pseudonym_key=TEST_KEY)),
                         store=store)
        with caplog.at_level(logging.ERROR, logger="lineage.web"):
            c = TestClient(app, follow_redirects=False)
            token = csrf_of(c.get("/signin").text)
            page = c.post("/signin", data={"username": "olivia", "password": "x",
                                           "csrf": token})
            api = c.get("/api/v1/sources",
                        headers={"Authorization": f"Bearer {KEY_PREFIX}" + "0" * 40})
    assert (page.status_code, api.status_code) == (503, 503)
    assert api.json() == {"detail": "the lineage database is unavailable; try again in a moment "
                                    "(the server's log says why)"}
    for text in (page.text, api.text):
        assert f"127.0.0.1:{port}" not in text and "lineage db start" not in text
    assert f"bolt://127.0.0.1:{port}" in caplog.text


def test_a_stopped_local_database_is_503_at_once():
    """A local server that stops while the workspace runs (connections refused): every page and
    API call says 503 at once, not after the driver's retries (~15 s per transaction; 33 s
    for one API call when a break attempt tried it)."""
    import socket

    from fastapi.testclient import TestClient

    from lineage.core.settings import LineageSettings, Neo4jSettings
    from lineage.web.accounts import KEY_PREFIX
    from lineage.web.app import WebConfig, create_app
    from tests.helpers import TEST_KEY

    class NotAsked:
        """Stands where the driver was: reaching it (the driver's retries) fails the test."""

        def __getattr__(self, name):
            raise AssertionError(f"the driver was asked ({name}) although nothing listens")

    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(8)
    port = listening.getsockname()[1]
    settings = Neo4jSettings(uri=f"bolt://127.0.0.1:{port}", timeout=45)
    with service.open_store(settings) as store:      # the server answers when the store opens
        listening.close()                              # ... and then stops
        driver, store._driver = store._driver, NotAsked()
        app = create_app(WebConfig(neo4j=settings,
                                   lineage=LineageSettings(pseudonym_key=TEST_KEY)), store=store)
        c = TestClient(app, follow_redirects=False)
        api = c.post("/api/v1/exposure", json={"student_id": "RSD-1001"},
                     headers={"Authorization": f"Bearer {KEY_PREFIX}" + "0" * 40})
        page = c.get("/signin")
        css = c.get("/static/workspace.css")              # static files are never checked
        store._driver = driver
    assert (api.status_code, page.status_code, css.status_code) == (503, 503, 200)
    assert api.json()["detail"].startswith("the lineage database is unavailable")
