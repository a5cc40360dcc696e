"""The workspace in real headless Chromium (Debian's ``chromium`` driven by Selenium through
Debian's ``chromium-driver``), against ``lineage serve`` run as a separate process on loopback:
sign in, look up RSD-1001 on the Riverside seed, see the actors with their classes and the
picture, open the path of univ-reading-lab, download the PDF with the inquiry's received date,
visit the other pages, sign out. Afterwards no raw student ID is in the server's log, the
look-up records, any URL the browser visited or its history, and the page broke no
Content-Security-Policy rule.

Screenshots of each page are written to ``$LINEAGE_SCREENSHOTS`` when it is set (as the other
browser tests do; ``LINEAGE_SCREENSHOTS=docs/screenshots`` refreshes the README's).
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageStat

from tests.helpers import ROOT, TEST_KEY
from tests.test_report import EXPECTED
from tests.web_helpers import PASSWORDS, load_workspace

PORT = 8734
BASE = f"http://127.0.0.1:{PORT}"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--lang=en-US", "--window-size=1400,1800"]
RAW_ID = "RSD-1001"


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def server(store, env, tmp_path_factory):
    """``lineage serve --port 8734`` as its own process, its output in a log file."""
    rs = load_workspace(store)
    assert _free(PORT), f"port {PORT} is taken"
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "lineage.cli", "serve", "--port", str(PORT)],
                                cwd=ROOT, env={**os.environ, **env}, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{BASE}/signin", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"lineage serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield rs, log
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium")
    driver_bin = shutil.which("chromedriver")
    if not chromium or not driver_bin:
        pytest.fail("headless Chromium and its driver are needed: "
                    "apt-get install -y chromium chromium-driver", pytrace=False)
    profile = Path(tempfile.mkdtemp(prefix="lineage-web-chromium-"))
    downloads = tmp_path_factory.mktemp("downloads")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for f in CHROME_FLAGS + [f"--user-data-dir={profile}"]:
        opts.add_argument(f)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_bin), options=opts)
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver, downloads, profile
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shoot(driver, name: str, tmp: Path) -> None:
    """Screenshot of the whole page (not blank); copied to $LINEAGE_SCREENSHOTS when set."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(int(height) + 40, 900), 3200))
    path = tmp / f"web-{name}.png"
    assert driver.save_screenshot(str(path))
    im = Image.open(path).convert("RGB")
    assert max(ImageStat.Stat(im).stddev) > 10, f"{name} looks blank"
    shots = os.environ.get("LINEAGE_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(shots) / path.name)
    driver.set_window_size(1400, 1800)


def test_officer_answers_a_parent_in_the_browser(server, browser, tmp_path, store):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    _rs, log = server
    driver, downloads, profile = browser
    urls: list[str] = []

    def visit(url=None):
        """Open ``url``, or wait for the page a click navigates to (a click may return before
        the browser has left the old page: the old page carries a mark the new one lacks)."""
        if url:
            driver.get(url)
        else:
            WebDriverWait(driver, 30).until(lambda d: d.execute_script(
                "return !window.lineageSeen && document.readyState === 'complete'"))
        driver.execute_script("window.lineageSeen = true")
        urls.append(driver.current_url)

    # sign in
    visit(f"{BASE}/")
    assert driver.current_url == f"{BASE}/signin"
    shoot(driver, "signin", tmp_path)
    driver.find_element(By.ID, "username").send_keys("olivia")
    driver.find_element(By.ID, "password").send_keys(PASSWORDS["olivia"])
    driver.find_element(By.ID, "signin").click()
    visit()
    assert driver.current_url == f"{BASE}/"
    assert "olivia" in driver.find_element(By.CLASS_NAME, "who").text

    # look up RSD-1001, the inquiry received on 2026-11-20
    driver.find_element(By.LINK_TEXT, "Student look-up").click()
    visit()
    shoot(driver, "student-form", tmp_path)
    driver.find_element(By.ID, "student_id").send_keys(RAW_ID)
    driver.find_element(By.ID, "received").send_keys("11202026")  # mm/dd/yyyy in en-US
    driver.find_element(By.ID, "lookup").click()
    visit()
    assert driver.current_url == f"{BASE}/student"
    assert driver.find_element(By.ID, "student-title").text == f"Student {RAW_ID}"
    rows = driver.find_elements(By.CSS_SELECTOR, "#actors tbody tr")
    classes = {r.get_attribute("data-actor"): r.get_attribute("data-class") for r in rows}
    shown = {r.get_attribute("data-actor"): r.find_element(By.CSS_SELECTOR, "td.cls").text
             for r in rows}
    for actor, (cls, *_rest) in EXPECTED.items():
        assert classes.get(actor) == cls, actor
    assert len(EXPECTED) == 11
    assert set(classes) - set(EXPECTED) == {"lincoln-es", "riverside-sd"}  # the holders
    assert shown["univ-econ-lab"] == "de-identified only" and shown["us-ed"] == "aggregate only"
    assert "13 actors could have touched" in driver.find_element(By.ID, "summary").text
    # the picture: inline SVG with a node for each actor
    svg = driver.find_element(By.CSS_SELECTOR, "#report .figure svg")
    assert svg.size["width"] > 300 and svg.size["height"] > 200
    nodes = {g.get_attribute("id") for g in svg.find_elements(By.CSS_SELECTOR, "g.node")}
    assert {f"actor:{a}" for a in EXPECTED} <= nodes
    # the three groups of the parent's report
    report = driver.find_element(By.ID, "report").text
    for heading in ("1. Record of disclosures (FERPA §99.32)",
                    "2. School officials, service providers and parents",
                    "3. Received only de-identified or aggregate information"):
        assert heading in report
    assert "Inquiry received on\n2026-11-20" in report or "2026-11-20" in report
    shoot(driver, "student", tmp_path)

    # the path of univ-reading-lab
    driver.find_element(By.ID, "path-univ-reading-lab").click()
    visit()
    assert driver.current_url == f"{BASE}/student/path"
    assert driver.find_element(By.ID, "path-title").text == (
        f"How univ-reading-lab got student {RAW_ID}'s data")
    steps = [s.text for s in driver.find_elements(By.CSS_SELECTOR, "li.step")]
    assert any("reading-study-file → univ-reading-lab" in s for s in steps), steps
    assert any("RDA-2025-03" in s for s in steps)
    shoot(driver, "path", tmp_path)
    driver.find_element(By.ID, "back").click()
    visit()

    # download the PDF answer, dated by the inquiry
    received = driver.find_element(By.ID, "dl-received").get_attribute("value")
    assert received == "2026-11-20"
    driver.find_element(By.ID, "download-pdf").click()
    pdf = downloads / "parent-report-2026-11-20.pdf"
    deadline = time.monotonic() + 60
    while not (pdf.is_file() and pdf.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pdf.is_file(), sorted(p.name for p in downloads.iterdir())
    time.sleep(0.5)
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert text.startswith("Who has seen the records of student RSD-1001")
    assert "2026-11-20" in text and "2027-01-04" in text  # received, and 45 days later
    doc.close()

    # the other pages
    for link, name, marker in (("Breach impact", "impact", "impact-form"),
                               ("Audit", "audit", "severity-high"),
                               ("Data inventory", "inventory", "inventory"),
                               ("Sources", "sources", "counts"),
                               ("Look-ups", "lookups", "lookups")):
        driver.find_element(By.LINK_TEXT, link).click()
        visit()
        assert driver.find_elements(By.ID, marker), name
        if name == "impact":
            driver.find_element(By.ID, "target_id").send_keys("routeco")
            driver.find_element(By.ID, "impact").click()
            visit()
            assert "students affected by a breach of actor routeco" in driver.find_element(
                By.ID, "impact-counts").text
        shoot(driver, name, tmp_path)

    # sign out: back to the sign-in page, and the workspace is closed again
    driver.find_element(By.ID, "signout").click()
    visit()
    assert driver.current_url == f"{BASE}/signin"
    visit(f"{BASE}/student")
    assert driver.current_url == f"{BASE}/signin"

    # no Content-Security-Policy violation, no error in the console
    console = [e["message"] for e in driver.get_log("browser")]
    assert not [m for m in console if "Content Security Policy" in m or "SEVERE" in m], console

    # no raw student ID in any URL, the browser's history, the server's log or the records
    assert urls and not [u for u in urls if RAW_ID in u], urls
    driver.get("about:blank")
    history = profile / "Default" / "History"
    visited: list[str] = []
    deadline = time.monotonic() + 20       # Chromium writes its history a few seconds late
    while history.is_file() and not visited and time.monotonic() < deadline:
        time.sleep(0.5)
        copy = tmp_path / "History"
        shutil.copy(history, copy)
        with sqlite3.connect(copy) as db:
            try:
                visited = [u for (u,) in db.execute("SELECT url FROM urls")]
            except sqlite3.DatabaseError:  # caught mid-write: read it again
                visited = []
    if history.is_file():
        assert visited and not [u for u in visited if RAW_ID in u], visited
    text = log.read_text(encoding="utf-8", errors="replace")
    assert '"POST /student HTTP/1.1" 200' in text and '"POST /student/report HTTP/1.1" 200' in text
    assert RAW_ID not in text and RAW_ID.lower() not in text.lower()
    records = store.read_text("MATCH (l:Lookup) RETURN properties(l) AS p")
    assert len(records) >= 4
    assert RAW_ID not in repr(records)
    assert TEST_KEY not in text
