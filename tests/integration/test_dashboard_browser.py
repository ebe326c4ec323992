"""The duty dashboard in a real browser: Debian's headless Chromium driven by
chromedriver (python3-selenium) on a 360x800 phone-sized window.

Log in; a P1 report sent over MQTT by a radio bridge appears on the live page
without a reload (Server-Sent Events); one tap acknowledges it; the reporter's
bridge receives the acknowledgement notice. Screenshots are saved as test
artefacts in <build>/artefacts/dashboard/ (and, with PATROL_DOCS_IMG=1, copied
to docs/img/ for docs/dashboard.md)."""

import json
import os
import shutil
import uuid
from pathlib import Path

import pytest

import gwtest
import webtest
from gwtest import t

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTEFACTS = gwtest.BUILD / "artefacts" / "dashboard"
DOCS_IMG = gwtest.SOURCE / "docs" / "img"


@pytest.fixture
def browser():
    for p in (CHROMIUM, CHROMEDRIVER):
        if not os.access(p, os.X_OK):
            pytest.fail("%s is missing (scripts/deps.sh installs it)" % p, pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=360,800", "--force-device-scale-factor=1",
              "--disable-extensions", "--no-first-run", "--lang=en-GB"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    try:
        drv.set_window_size(360, 800)
        drv.set_page_load_timeout(t(30))
        yield drv
    finally:
        drv.quit()


def shot(drv, name):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / ("%s.png" % name)
    assert drv.save_screenshot(str(path)), "screenshot %s" % name
    if os.environ.get("PATROL_DOCS_IMG") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / path.name)
    return path


def test_p1_appears_live_and_one_tap_acknowledges_it(env, browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    b = env.broker()
    g, port = webtest.dash_gateway(env, b)
    webtest.add_user(g, "pat", "duty", "police")
    bridge = env.client(b, ["%s/out/#" % gwtest.PREFIX])
    base = "http://127.0.0.1:%d" % port
    wait = WebDriverWait(browser, t(20), ignored_exceptions=(StaleElementReferenceException,))
    drv = browser

    drv.get(base + "/alerts")
    assert drv.current_url.endswith("/login")
    drv.find_element(By.ID, "user").send_keys("pat")
    drv.find_element(By.ID, "password").send_keys(webtest.PASSWORD)
    shot(drv, "login")
    drv.find_element(By.ID, "login").click()
    wait.until(EC.url_contains("/alerts"))
    wait.until(EC.text_to_be_present_in_element((By.ID, "conn"), "live"))
    # A mark that a reload would wipe: the alert must arrive without one.
    drv.execute_script("window.__noReload = 'still here';")

    mid = uuid.uuid4().hex[:12]
    bridge.publish(gwtest.in_topic("shopwatch", "radio7"),
                   gwtest.json_request("radio7", "RTC P1 HB03 car v cyclist amb called", mid))
    reply = bridge.inbox.take(lambda m: m.topic == gwtest.out_topic("shopwatch", "radio7")
                              and mid.encode() in m.payload, t(10), "the OK")
    ref = int(gwtest.OK_REPORT.match(gwtest.reply_text(reply)).group(1))
    # The list is swapped in whenever the store changes: look elements up afresh.
    item_id = "a%d-police" % ref
    wait.until(lambda d: "car v cyclist amb called" in d.find_element(By.ID, item_id).text)
    assert drv.execute_script("return window.__noReload;") == "still here"
    item = drv.find_element(By.ID, item_id)
    assert "P1" in item.text and "urgent" in item.get_attribute("class")
    size = item.find_element(By.CSS_SELECTOR, "button.ack").size
    assert size["height"] >= 48 and size["width"] >= 300, size  # a big tap target at 360 px
    shot(drv, "alerts-p1")

    def tap(d):
        d.find_element(By.ID, item_id).find_element(By.CSS_SELECTOR, "button.ack").click()
        return True

    wait.until(tap)  # one tap (looked up again if the list was swapped meanwhile)
    wait.until(EC.url_contains("done=acked"))
    wait.until(lambda d: "ACK by pat" in d.find_element(By.ID, item_id).text)
    shot(drv, "alerts-acked")
    a = g.db().one("SELECT * FROM chases WHERE ref = ? AND partner = 'police'", ref)
    assert a["acked_by"] == "pat" and a["acked_via"] == "dashboard"

    # The reporter's bridge is told that help is coming (ingest_ack's notice).
    notice = bridge.inbox.take(lambda m: m.topic == gwtest.out_topic("shopwatch", "radio7")
                               and "ACK" in gwtest.reply_text(m), t(15), "the ACK notice")
    text = gwtest.reply_text(notice)
    assert "R%d" % ref in text and "police" in text, text

    drv.get(base + "/report?ref=%d" % ref)
    assert "Timeline" in drv.page_source
    shot(drv, "report")
    drv.get(base + "/hotspots?days=7")
    shot(drv, "hotspots")
