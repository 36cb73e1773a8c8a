"""Drives the MovieMash web page in headless Chromium against a live server.

usage: web_page.py BASE_URL SCREENSHOT_DIR

Registers with the keyboard, votes five times with the arrow keys, waits for the leaderboard's vote count
and the recommendations to change, votes on until the per-voter rate limit answers 429 and checks the
page says so in plain words with a retry, saves screenshots at desktop and phone widths; then, under
"Your account": the summary and "My votes", "Download my data" (the file holds every vote), "Change
password" (a wrong current password refused, the new one signs in after "Sign out"), and "Delete my
account" (cancelled once, then confirmed: signed out, the name and password no longer sign in). Fails on
any console error other than the 429, 403 and 401 it provoked. Exits 0 when every check held.
"""
import os
import re
import json
import secrets
import shutil
import sys
import tempfile
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser import chromium, eventually

base, screenshots = sys.argv[1], sys.argv[2]
os.makedirs(screenshots, exist_ok=True)
downloads = tempfile.mkdtemp(prefix="moviemash-downloads-")
driver = chromium(downloads)
console = []
try:
    driver.get(base + "/")
    text = lambda selector: driver.find_element(By.CSS_SELECTOR, selector).text
    eventually("the leaderboard", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#board-rows tr")) == 10)
    caption_before = text("#board-caption")
    assert "votes" in caption_before, caption_before
    # Places read "#N" with the range the intervals allow below ("could be 1–12", or "certain").
    eventually("rated rows", lambda: text("#board-rows tr td").startswith("#"))
    place = text("#board-rows tr td")
    assert re.fullmatch(r"#1\n(could be 1–\d+|certain)", place), repr(place)

    # Register with the keyboard only: type, Tab to "Create account", Enter.
    username = "browser_" + secrets.token_hex(4)
    field = driver.find_element(By.ID, "username")
    field.click()
    field.send_keys(username, Keys.TAB, "correct horse battery", Keys.TAB, Keys.TAB)
    focused = driver.switch_to.active_element
    assert focused.get_attribute("id") == "register", f"Tab order reached {focused.get_attribute('id')!r}, not the register button"
    focused.send_keys(Keys.ENTER)
    eventually("signing in", lambda: f"Signed in as {username}" in text("#account"))
    eventually("a pair", lambda: text("#set-a h3") and text("#set-b h3"))
    eventually("the empty state of recommendations", lambda: "do not know your taste yet" in text("#recommendations-note"))
    assert not driver.find_elements(By.CSS_SELECTOR, "#recommendation-list [data-reason=personalized]")

    body = driver.find_element(By.TAG_NAME, "body")
    for vote in range(1, 6):
        before = (text("#set-a h3"), text("#set-b h3"))
        body.send_keys(Keys.ARROW_LEFT if vote % 2 else Keys.ARROW_RIGHT)
        eventually(f"vote {vote} to be counted", lambda: f"{vote} vote" in text("#vote-status") and "Counted" in text("#vote-status"))
        eventually(f"the pair after vote {vote}", lambda: (text("#set-a h3"), text("#set-b h3")) != before or text("#set-a h3") == "")
    eventually("the leaderboard's vote count to change", lambda: text("#board-caption") != caption_before)
    eventually("personal recommendations",
               lambda: driver.find_elements(By.CSS_SELECTOR, "#recommendation-list [data-reason=personalized]"), timeout=60)
    assert "Picked from the sets you preferred" in text("#recommendations-note")
    driver.save_screenshot(os.path.join(screenshots, "desktop.png"))

    # Vote on until the per-voter limit refuses; the page must say so and offer to try again.
    def limited():
        notice = driver.find_element(By.ID, "notice")
        if notice.is_displayed():
            return True
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
        time.sleep(0.1)
        return False
    eventually("the rate-limit notice", limited, timeout=60)
    message = text("#notice-text")
    assert "faster than MovieMash accepts" in message, message
    retry = driver.find_element(By.ID, "notice-retry")
    assert retry.is_displayed() and retry.text.startswith("Try again"), retry.text
    driver.save_screenshot(os.path.join(screenshots, "desktop-rate-limited.png"))
    eventually("Try again to become available", lambda: retry.is_enabled(), timeout=30)
    retry.send_keys(Keys.ENTER)
    eventually("the notice to go once retried", lambda: not driver.find_element(By.ID, "notice").is_displayed(), timeout=30)

    driver.set_window_size(390, 844)
    driver.execute_script("window.scrollTo(0, 0)")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at phone width"
    driver.save_screenshot(os.path.join(screenshots, "phone.png"))
    driver.set_window_size(1280, 1000)

    def sign_in(name, password):
        for field, value in (("username", name), ("password", password)):
            element = driver.find_element(By.ID, field)
            element.clear()
            element.send_keys(value)
        element.send_keys(Keys.ENTER)

    # Your account: the summary and the newest votes, as the server counted them.
    shown = lambda selector: driver.find_element(By.CSS_SELECTOR, selector).is_displayed()
    link = driver.find_element(By.ID, "me-link")
    assert link.is_displayed(), "no 'Your account' link while signed in"
    link.click()
    eventually("the account summary", lambda: text("#me-name") == username)
    # A vote retried after the rate limit may still be landing: the summary and the list refresh together.
    def agreeing():
        count = text("#me-votes")
        rows = driver.find_elements(By.CSS_SELECTOR, "#my-votes-rows tr")
        return count.isdigit() and text("#my-votes-page").endswith(f"of {count}") and len(rows) == min(int(count), 10) and int(count)
    voted = eventually("the summary and my votes to agree", agreeing)
    assert voted >= 5, f"the account says {voted} votes, at least 5 were counted"
    first = driver.find_elements(By.CSS_SELECTOR, "#my-votes-rows tr td")
    assert "’s four or " in first[1].text and first[2].text in first[1].text, (first[1].text, first[2].text)
    assert "The sets you chose most" in text("#me-chosen"), text("#me-chosen")
    driver.execute_script("document.getElementById('me').scrollIntoView()")
    driver.save_screenshot(os.path.join(screenshots, "desktop-account-votes.png"))

    # Download my data: one JSON file with the account and every vote.
    driver.find_element(By.ID, "export").click()
    exported = os.path.join(downloads, f"moviemash-{username}.json")
    eventually("the downloaded export", lambda: os.path.exists(exported) and os.path.getsize(exported) > 0)
    with open(exported) as file:
        document = json.load(file)
    assert document["account"]["username"] == username, document["account"]
    # A vote retried after the rate limit may land after the summary was read: the export is newer.
    exported_votes = {vote["voteID"] for vote in document["votes"]}
    assert document["account"]["votes"] == len(exported_votes) >= voted, (document["account"]["votes"], len(exported_votes), voted)
    listed = {row.get_attribute("data-vote") for row in driver.find_elements(By.CSS_SELECTOR, "#my-votes-rows tr")}
    assert listed <= exported_votes, f"votes listed but not exported: {listed - exported_votes}"
    eventually("the export's status", lambda: f"{len(exported_votes)} votes" in text("#export-status"))

    # Change password: a wrong current password is refused, the right one changes it.
    driver.find_element(By.ID, "current-password").send_keys("not the password")
    driver.find_element(By.ID, "new-password").send_keys("a new and longer one")
    driver.find_element(By.ID, "change-password").click()
    eventually("the wrong password to be refused", lambda: "not this account's password" in text("#password-status"))
    field = driver.find_element(By.ID, "current-password")
    field.clear()
    field.send_keys("correct horse battery")
    new_password = driver.find_element(By.ID, "new-password")
    new_password.clear()
    new_password.send_keys("a new and longer one")
    driver.find_element(By.ID, "change-password").click()
    eventually("the password change", lambda: "Password changed" in text("#password-status"))
    assert text("#me-name") == username

    # Sign out (the server ends the token), then sign in with the new password.
    driver.find_element(By.CSS_SELECTOR, "#account button").click()
    eventually("the sign-in form", lambda: shown("#auth-form") and not shown("#me"))
    sign_in(username, "a new and longer one")
    eventually("signing in with the new password", lambda: f"Signed in as {username}" in text("#account"))

    # Delete my account: cancelled once, then confirmed.
    driver.find_element(By.ID, "me-link").click()
    driver.find_element(By.ID, "delete-password").send_keys("a new and longer one")
    driver.find_element(By.ID, "delete-account").click()
    eventually("the confirmation", lambda: shown("#delete-confirm"))
    driver.save_screenshot(os.path.join(screenshots, "desktop-account.png"))
    driver.find_element(By.ID, "delete-cancel").click()
    assert not shown("#delete-confirm") and f"Signed in as {username}" in text("#account")
    driver.find_element(By.ID, "delete-account").click()
    eventually("the confirmation again", lambda: shown("#delete-confirm"))
    driver.find_element(By.ID, "delete-confirmed").click()
    eventually("the farewell", lambda: shown("#auth-form") and "account was deleted" in text("#auth-message"))
    assert not shown("#me") and not shown("#me-link")
    sign_in(username, "a new and longer one")
    eventually("the erased account to be refused", lambda: "do not match an account" in text("#auth-error"))

    console = driver.get_log("browser")
finally:
    driver.quit()
    shutil.rmtree(downloads, ignore_errors=True)

provoked = ("status of 429", "status of 403", "status of 401")
errors = [entry for entry in console if entry["level"] == "SEVERE" and not any(p in entry["message"] for p in provoked)]
assert not errors, f"console errors: {errors}"
print(f"ok: registered {username}, 5 votes counted, leaderboard and recommendations changed, rate limit shown; "
      f"{voted} votes listed and exported, password changed, account deleted; screenshots in {screenshots}")
