"""Seeing the lineage, checked in a real browser: ``lineage graph`` (HTML/SVG/PNG through
Graphviz) opened in headless Chromium, ``lineage browse`` and the local server's Neo4j Browser
driven over the Chrome DevTools protocol, the Browser guide and style sheet.

Needs the Debian packages ``graphviz`` and ``chromium`` (``apt-get install -y graphviz chromium``);
without them these tests FAIL, they are never skipped. Set ``LINEAGE_SCREENSHOTS=docs/screenshots``
to (re)write the documentation's screenshots from this run.
"""

from __future__ import annotations

import base64
import html as htmllib
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from click.testing import CliRunner
from PIL import Image, ImageStat

from lineage.cli import main
from lineage.core.errors import RenderError, UsageError
from lineage.core.settings import LineageSettings
from lineage.core.vocabulary import Label, Rel
from lineage.questions import picture
from lineage.render import browser, documents, dot
from tests.helpers import PSEUDO, load_riverside

ROOT = Path(__file__).resolve().parent.parent
BROWSER_DIR = ROOT / "cypher" / "browser"

#: Identifiable actors of the Riverside expected answer for RSD-1001 (shared/cases/riverside.md).
IDENTIFIABLE = ["teacher-lee", "learnco", "guardian-r", "routeco", "state-doe", "univ-reading-lab",
                "hill-sd", "county-ems", "riverside-sd", "lincoln-es"]
OTHERS = {"univ-econ-lab": "deidentified", "us-ed": "aggregate", "public": "aggregate"}
NOT_FOR_RSD_1001 = ["teacher-park", "guardian-k"]

CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def riverside(store):
    """The clean Riverside seed in the real graph."""
    load_riverside(store)
    return store


def run(env, *args):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(scope="module")
def outputs(riverside, env, tmp_path_factory):
    """``lineage graph RSD-1001`` written as HTML, SVG and PNG (through the CLI)."""
    d = tmp_path_factory.mktemp("graph")
    out = {}
    for ext in ("html", "svg", "png"):
        path = d / f"lineage-RSD-1001.{ext}"
        r = run(env, "graph", "RSD-1001", "--out", str(path))
        assert r.exit_code == 0, r.output
        assert "13 actors" in r.output
        out[ext] = path
    shots = os.environ.get("LINEAGE_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        shutil.copy(out["png"], Path(shots) / "lineage-RSD-1001.png")
    return out


@pytest.fixture(scope="module")
def chromium_bin():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("headless Chromium is needed: apt-get install -y chromium", pytrace=False)
    return path


def _chromium(chromium_bin, *args, timeout=120) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="lineage-chromium-")
    try:
        return subprocess.run([chromium_bin, *CHROME_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, timeout=timeout, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def assert_not_blank(png: Path, min_colours: int = 8) -> Image.Image:
    """The screenshot exists and shows something: several colours, not one flat fill."""
    assert png.is_file() and png.stat().st_size > 5000, png
    im = Image.open(png).convert("RGB")
    stat = ImageStat.Stat(im)
    assert max(stat.stddev) > 10, f"{png} looks blank"
    colours = im.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) >= min_colours, f"{png} looks blank"
    return im


# -- the Graphviz picture --------------------------------------------------------------------------
def test_graph_html_renders_in_chromium(outputs, chromium_bin, tmp_path):
    page = outputs["html"]
    text = page.read_text(encoding="utf-8")
    # self-contained and offline: no script, no stylesheet link, no remote resource
    assert "<script" not in text and "<link" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']https?:""", text)
    assert text.count("<svg") == 1 and "<?xml" not in text
    assert PSEUDO("RSD-1001") not in text  # the picture never shows the pseudonym

    r = _chromium(chromium_bin, "--dump-dom", page.as_uri())
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    dom = r.stdout.decode("utf-8")
    svg = dom[dom.index("<svg"):dom.index("</svg>")]
    nodes = re.findall(r'<g id="([^"]+)" class="node', svg)
    assert len(nodes) >= 25  # student + 12 datasets + 13 actors
    for actor in IDENTIFIABLE + list(OTHERS):
        assert f"actor:{actor}" in nodes, actor
        group = svg[svg.index(f'<g id="actor:{actor}"'):]
        group = group[:group.index("</g>")]
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", group)
        labels = " ".join(htmllib.unescape(t) for t in texts)
        assert actor in labels, (actor, labels)
    for actor in NOT_FOR_RSD_1001:
        assert f"actor:{actor}" not in nodes
    # the student node shows the ID that was typed
    student = svg[svg.index('<g id="student"'):]
    assert "RSD-1001" in student[:student.index("</g>")]
    # classes are coloured: identifiable, de-identified and aggregate fills are all used
    for st in dot.CLASS_STYLE.values():
        assert st["fill"].lower() in svg.lower()

    shot = tmp_path / "page.png"
    r = _chromium(chromium_bin, f"--screenshot={shot}", "--window-size=1600,1200", page.as_uri())
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    im = assert_not_blank(shot)
    assert im.size == (1600, 1200)
    shots = os.environ.get("LINEAGE_SCREENSHOTS")
    if shots:
        r = _chromium(chromium_bin, f"--screenshot={Path(shots) / 'lineage-RSD-1001-html.png'}",
                      "--window-size=1600,1000", page.as_uri())
        assert r.returncode == 0


def test_graph_svg_and_png(outputs):
    svg = htmllib.unescape(outputs["svg"].read_text(encoding="utf-8"))
    assert svg.lstrip().startswith("<?xml")  # a standalone .svg file keeps its prolog
    assert len(re.findall(r'class="node', svg)) >= 25
    assert outputs["svg"].stat().st_size > 20_000
    for actor in IDENTIFIABLE:
        assert f'id="actor:{actor}"' in svg
    im = assert_not_blank(outputs["png"])
    assert im.width > 1500 and im.height > 500


def test_lineage_svg_is_inline_and_exact(riverside):
    data_paths = picture.student_paths(riverside, PSEUDO, "RSD-1001")
    from lineage.questions import student as answers

    exposure = answers.exposure(riverside, PSEUDO, "RSD-1001")
    svg = dot.lineage_svg(exposure, title="t", path_data=data_paths)
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!DOCTYPE" not in svg
    # exact hops from the rules: the reading lab's chain and the student's own dates
    hops = {(s["from"], s["to"], s["via"]) for s in data_paths["steps"]}
    assert ("rsd-sis", "state-slds", "S3a") in hops
    assert ("state-slds", "reading-study-file", "S4a") in hops
    assert ("reading-study-file", "univ-reading-lab", "holder") in hops
    grants = {(s["to"], s["via"]) for s in data_paths["steps"] if s["kind"] == "grant"}
    assert grants == {("teacher-lee", "S1a"), ("guardian-r", "S1e-r"),
                      ("lincoln-es", "G-lincoln-staff")}
    lee = next(s for s in data_paths["steps"] if s["kind"] == "grant" and s["to"] == "teacher-lee")
    assert (lee["first_date"], lee["last_date"]) == ("2024-08-20", "2025-06-10")
    assert data_paths["datasets"]["slds-research-deid"]["access"] == "deidentified"
    assert data_paths["datasets"]["edfacts-fs052"]["access"] == "aggregate"
    # without path_data the picture still has every actor (hops from the datasets chains)
    src = dot.lineage_dot(exposure, title="fallback")
    for a in exposure["actors"]:
        assert f'"actor:{a["actor_id"]}"' in src


def test_graph_as_of(riverside, env, tmp_path):
    out = tmp_path / "asof.svg"
    r = run(env, "graph", "RSD-1001", "--as-of", "2024-06-01", "--out", str(out))
    assert r.exit_code == 0, r.output
    svg = htmllib.unescape(out.read_text())
    for gone in ["teacher-lee", "learnco", "univ-reading-lab", "univ-econ-lab", "hill-sd",
                 "county-ems"]:
        assert f'id="actor:{gone}"' not in svg
    for kept in ["routeco", "state-doe", "guardian-r"]:
        assert f'id="actor:{kept}"' in svg
    assert "as of 2024-06-01" in svg


def test_missing_dot_is_a_render_error(riverside, env, tmp_path, monkeypatch):
    monkeypatch.setattr(dot, "DOT_BINARY", str(tmp_path / "no-such-dot"))
    with pytest.raises(RenderError) as exc:
        dot.run_dot("digraph { a -> b }")
    assert "graphviz" in (exc.value.hint or "").lower()
    r = run(env, "graph", "RSD-1001", "--out", str(tmp_path / "x.svg"))
    assert r.exit_code == 6
    assert "Graphviz" in r.output and "apt-get install -y graphviz" in r.output
    assert not (tmp_path / "x.svg").exists()


def test_bad_output_suffix(riverside, env, tmp_path):
    with pytest.raises(UsageError):
        documents.render_picture({"actors": []}, tmp_path / "x.pdf")
    lookups = "MATCH (l:Lookup) RETURN count(l) AS n"
    before = riverside.read_text(lookups)[0]["n"]
    r = run(env, "graph", "RSD-1001", "--out", str(tmp_path / "x.jpg"))
    assert r.exit_code == 2
    assert "--out must end with .svg, .html, .png: got 'x.jpg'" in r.output
    # refused before any work: no look-up of the student is recorded for a picture never drawn
    assert riverside.read_text(lookups)[0]["n"] == before


def test_graph_unknown_student(riverside, env, tmp_path):
    r = run(env, "graph", "RSD-9999-SECRET", "--out", str(tmp_path / "x.svg"))
    assert r.exit_code == 1
    assert "RSD-9999-SECRET" not in r.output


# -- Neo4j Browser: the query, the link, the style, the guide -----------------------------------
def _browser_arg(url: str) -> str:
    """What Browser puts in its editor: it decodes the whole URL, then reads ``arg=``."""
    decoded = unquote(url)
    args = re.findall(r"[?&]arg=([^&#]*)", decoded)
    return "\n".join(args)


def test_browse_query_returns_the_students_paths(riverside):
    rows = riverside.read("queries/browse_exposure", student_key=PSEUDO("RSD-1001"))
    ids = {n.get("id") for r in rows for n in r["p"] if isinstance(n, dict)}
    for actor in IDENTIFIABLE + list(OTHERS):
        assert actor in ids, actor
    for actor in NOT_FOR_RSD_1001:
        assert actor not in ids
    assert {"S1c", "S2", "S3a", "S4a", "S5", "S6", "S1a", "S1e-r"} <= ids
    assert riverside.read("queries/browse_exposure", student_key=PSEUDO("RSD-0000")) == []


def test_browse_prints_a_browser_link(riverside, env, neo4j_settings):
    r = run(env, "browse", "RSD-1001")
    assert r.exit_code == 0, r.output
    key = PSEUDO("RSD-1001")
    urls = [line for line in r.output.splitlines() if line.startswith("http")]
    assert len(urls) == 1
    url = urls[0]
    assert "cmd=edit" in url and "RSD-1001" not in url and "RSD-1001" not in r.output
    assert url.startswith(f"http://127.0.0.1:{LineageSettings().http_port}/browser/?")
    scheme, hostport = neo4j_settings.uri.split("://", 1)
    signed_in = f"{neo4j_settings.user}@" if neo4j_settings.auth() else ""  # user, no password
    assert "dbms=" + quote(f"{scheme}://{signed_in}{hostport}", safe="") in url
    assert ("preselectAuthMethod=NATIVE" if signed_in else "preselectAuthMethod=NO_AUTH") in url
    assert f":param student_key => '{key}'" in r.output
    text = _browser_arg(url)
    assert text == browser.browser_query_text(key)
    assert f"WITH '{key}' AS student_key" in text
    rows = riverside.read_text(text)  # exactly what Browser will run
    assert len(rows) == len(riverside.read("queries/browse_exposure", student_key=key)) > 15
    other = run(env, "browse", "RSD-1001", "--browser-url", "https://browser.example.test/")
    assert "https://browser.example.test/?dbms=" in other.output


def test_browse_open_uses_the_web_browser(riverside, env, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    r = run(env, "browse", "RSD-1001", "--open")
    assert r.exit_code == 0, r.output
    assert len(opened) == 1 and "cmd=edit" in opened[0] and opened[0] in r.output


def test_browse_unknown_student(riverside, env):
    r = run(env, "browse", "RSD-9999-SECRET")
    assert r.exit_code == 1
    assert "RSD-9999-SECRET" not in r.output


def _parse_grass(text: str) -> dict[str, dict[str, str]]:
    """Neo4j Browser's own GraSS reader (services/grassUtils), ported: quotes are dropped, a
    selector is everything outside braces, properties split on ';' then ':'."""
    rules: dict[str, str] = {}
    in_str = in_props = in_binding = False
    keyword = props = ""
    for c in text:
        skip = True
        if c == "{":
            if in_str:
                skip = False
            elif in_props:
                in_binding = True
            else:
                in_props = True
        elif c == "}":
            if in_str:
                skip = False
            elif in_binding:
                in_binding = False
            else:
                in_props = False
                rules[keyword] = props
                keyword = props = ""
        elif c in "'\"":
            in_str = not in_str
        else:
            skip = False
        if skip:
            continue
        if in_props:
            props += c
        elif not c.isspace():
            keyword += c
    out = {}
    for sel, body in rules.items():
        out[sel] = {}
        for p in body.split(";"):
            kv = p.split(":")
            if len(kv) == 2:
                out[sel][kv[0].strip()] = kv[1].strip()
    return out


def test_style_grass_covers_the_model():
    rules = _parse_grass((BROWSER_DIR / "style.grass").read_text())
    assert "" not in rules and all(re.fullmatch(r"(node|relationship)(\.\w+)?", s) for s in rules)
    expected = {"Student": "{key}", "Element": "{name}", "Actor": "{name}", "Dataset": "{name}",
                "Flow": "{id}", "Grant": "{id}", "Agreement": "{id}", "Section": "{id}",
                "SmallCell": "{label}"}
    assert {lab.value for lab in Label} == set(expected)
    colours = set()
    for label, caption in expected.items():
        rule = rules[f"node.{label}"]
        assert rule["caption"] == caption, label
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", rule["color"])
        colours.add(rule["color"])
    assert len(colours) == len(expected)  # one colour per label
    for rel in Rel:
        assert rules[f"relationship.{rel.value}"]["caption"] == "<type>", rel


def test_guide_queries_run(riverside):
    text = (BROWSER_DIR / "guide.html").read_text()
    assert len(re.findall(r"<slide\b", text)) >= 6
    assert "<script" not in text
    blocks = [htmllib.unescape(b) for b in
              re.findall(r'<pre class="pre-scrollable code runnable">(.*?)</pre>', text, re.S)]
    assert ":param student_key => '...'" in blocks
    key = PSEUDO("RSD-1001")
    cypher = [b for b in blocks if not b.startswith(":")]
    assert len(cypher) >= 8
    for b in cypher:
        riverside.explain(b)
    first = riverside.read_text(cypher[0], student_key=key)
    assert first and first[0]["student"] == key
    paths = riverside.read_text(cypher[1], student_key=key)
    assert len(paths) > 5
    reading = riverside.read_text(cypher[2], student_key=key)
    assert reading  # the path to univ-reading-lab
    impact = riverside.read_text(next(b for b in cypher if "size(students)" in b))
    assert impact == [{"dataset": "routeco-routes", "students": impact[0]["students"],
                       "elements": impact[0]["elements"]}]
    assert impact[0]["students"] > 200 and len(impact[0]["elements"]) == 6
    # the demo key's pseudonym quoted in the guide is right
    from lineage.core.pseudonym import DEMO_KEY, Pseudonymizer

    assert Pseudonymizer(DEMO_KEY)("RSD-1001") in text


# -- driving the real Neo4j Browser over the DevTools protocol (pipe transport) --------------------
class DevTools:
    """Headless Chromium driven over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out; messages
    are JSON ending with NUL). No WebSocket library needed."""

    def __init__(self, binary: str, width: int = 1600, height: int = 1200) -> None:
        self.profile = tempfile.mkdtemp(prefix="lineage-cdp-")
        r_in, w_in = os.pipe()
        r_out, w_out = os.pipe()

        def child_fds() -> None:  # pragma: no cover - runs in the child
            a, b = os.dup(r_in), os.dup(w_out)  # above 4, so dup2 clears close-on-exec
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, *CHROME_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=child_fds)
        os.close(r_in)
        os.close(w_out)
        self.w, self.r = w_in, r_out
        self.buf = b""
        self.n = 0
        tid = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": tid, "flatten": True})
        self.session = attached["sessionId"]
        self.page("Page.enable")
        self.page("Runtime.enable")
        self.page("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        self.n += 1
        msg = {"id": self.n, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            while b"\0" not in self.buf:
                ready, _, _ = select.select([self.r], [], [], max(0.0, end - time.monotonic()))
                if not ready:
                    raise TimeoutError(method)
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            m = json.loads(raw)
            if m.get("id") == self.n:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
        raise TimeoutError(method)

    def page(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        return self.call(method, params, self.session, timeout)

    def js(self, expr: str):
        r = self.page("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"].get("text"))
        return r["result"].get("value")

    def wait(self, expr: str, timeout: float = 40) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if self.js(expr):
                    return
            except RuntimeError:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"waited {timeout} s for: {expr}")

    def goto(self, url: str) -> None:
        try:
            self.js("window.__stale = true")
        except RuntimeError:
            pass
        self.page("Page.navigate", {"url": url})
        self.wait("!window.__stale && document.readyState === 'complete'")

    def screenshot(self, path: Path) -> Path:
        data = self.page("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.w)
        os.close(self.r)
        shutil.rmtree(self.profile, ignore_errors=True)


# "Connected to Neo4j" after signing in; "You are connected as user" when Browser reconnects
# with the credentials it keeps for the page (auth on)
CONNECTED = ("(document.body.innerText.includes('Connected to Neo4j')"
             " || document.body.innerText.includes('You are connected as user'))"
             " && !!document.querySelector('[data-testid=\"editor-Run\"]')")
PASSWORD_FIELD = "document.querySelector('input[type=password]')"
SIGN_IN = ("(pw => { const i = document.querySelector('input[type=password]');"
           " Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(i, pw);"
           " i.dispatchEvent(new Event('input', {bubbles: true}));"
           " const b = document.querySelector('[data-testid=connect]') || Array.from("
           "document.querySelectorAll('button')).find(b => b.innerText.trim() === 'Connect');"
           " b.click(); return true })(%s)")


def connect(tools, env, ready: str = CONNECTED) -> None:
    """Wait until Browser is connected (``ready`` holds), signing in on its form with the test
    database's password when it asks (the local server has auth on; the password is typed into
    the page, never put in a URL)."""
    tools.wait(f"({ready}) || !!{PASSWORD_FIELD}")
    if not tools.js(ready):
        assert env.get("NEO4J_PASSWORD"), "Browser asks for a password the tests do not have"
        tools.js(SIGN_IN % json.dumps(env["NEO4J_PASSWORD"]))
    tools.wait(ready)
RUN = "document.querySelector('[data-testid=\"editor-Run\"]').click(); true"
PASTE = ("(text => { const t = document.querySelector('[data-testid=activeEditor] textarea');"
         " t.focus(); const dt = new DataTransfer(); dt.setData('text/plain', text);"
         " t.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true,"
         " cancelable: true})); return true })(%s)")


def test_neo4j_browser_shows_the_lineage(riverside, env, chromium_bin, tmp_path):
    """The local server's /browser: the style sheet applied with :style, the `lineage browse`
    link opened and run, the graph drawn; the guide played from `serve_guide`."""
    import urllib.request

    http = f"http://127.0.0.1:{LineageSettings().http_port}/browser/"
    with urllib.request.urlopen(http, timeout=10) as resp:  # noqa: S310 - local server
        assert resp.status == 200 and b"Neo4j Browser" in resp.read()
    r = run(env, "browse", "RSD-1001")
    assert r.exit_code == 0, r.output
    url = next(line for line in r.output.splitlines() if line.startswith("http"))
    base = url.split("&cmd=")[0]
    grass = (BROWSER_DIR / "style.grass").read_text()
    server, guide = browser.serve_guide(0)
    tools = DevTools(chromium_bin)
    try:
        # 1. plain Browser, signed in (the password typed into its form); apply the style sheet
        assert "password" not in url.lower() and env.get("NEO4J_PASSWORD", "\0") not in url
        tools.goto(base)
        connect(tools, env)
        assert_not_blank(tools.screenshot(tmp_path / "browser-start.png"))
        tools.js(PASTE % json.dumps(":style " + grass))
        tools.js(RUN)
        tools.wait("(localStorage['neo4j.grass'] || '').includes('SmallCell')", 15)
        stored = json.loads(tools.js("localStorage['neo4j.grass']"))
        assert stored["node.Actor"]["caption"] == "{name}"
        assert stored == _parse_grass(grass)  # Browser read the file as we do

        # 2. the `lineage browse` link: the query is in the editor; run it; the graph is drawn
        tools.goto(url)
        connect(tools, env)
        tools.wait("document.querySelector('[data-testid=activeEditor]').innerText"
                   ".includes('student_key')", 20)
        tools.js(RUN)
        tools.wait("document.querySelectorAll('svg g.node').length >= 30", 40)
        time.sleep(3)  # let the force layout settle
        assert tools.js("document.querySelectorAll('svg g.relationship').length") >= 40
        labels = tools.js("Array.from(document.querySelectorAll('[data-testid]'))"
                          ".map(e => e.innerText).join(' ')")
        for label in ("Student", "Dataset", "Actor", "Flow", "Grant"):
            assert label in labels
        fills = tools.js("Array.from(Array.from(document.querySelectorAll('svg g.node'))"
                         ".find(g => g.textContent.includes('LearnCo')).querySelectorAll('circle'))"
                         ".map(c => c.getAttribute('fill') + ' ' + getComputedStyle(c).fill)"
                         ".join(' ')")
        # node.Actor's colour from style.grass (#1F618D)
        assert "#1F618D".lower() in fills.lower() or "rgb(31, 97, 141)" in fills, fills
        tools.js("document.querySelector('[data-testid=frame] button[title=\"Fullscreen\"]')"
                 ".click(); true")
        time.sleep(1)
        tools.js("document.querySelector('button[aria-label=\"zoom-to-fit\"]').click(); true")
        time.sleep(2)
        shot = tools.screenshot(tmp_path / "browser-lineage.png")
        assert_not_blank(shot)

        # 3. the guide, served with CORS on localhost (Browser's default allowlist)
        tools.goto(base + "&cmd=play&arg=" + quote(guide, safe=""))
        played = "document.body.innerText.includes('Student data lineage in Neo4j Browser')"
        connect(tools, env, f"({CONNECTED}) || {played}")  # reconnected: Browser plays it
        tools.js(RUN)
        tools.wait(played, 20)
        assert "1 / 7" in tools.js("document.body.innerText")
        guide_shot = tools.screenshot(tmp_path / "browser-guide.png")
        assert_not_blank(guide_shot)
    finally:
        tools.close()
        server.shutdown()
        server.server_close()
    shots = os.environ.get("LINEAGE_SCREENSHOTS")
    if shots:
        shutil.copy(shot, Path(shots) / "browser-RSD-1001.png")
        shutil.copy(guide_shot, Path(shots) / "browser-guide.png")
