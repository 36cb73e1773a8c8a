"""Drives the MovieMash web page in headless Chromium against a live server holding MovieLens demo data.

usage: web_page.py BASE_URL SCREENSHOT_DIR

As a newcomer meets it, at 1366 px and at 390 px:
- the landing page: one line on how the game works and a live example pair (read-only, no vote buttons),
  titles in natural order, no set showing a film twice, no empty director line, no sideways scrolling;
- the board: places said in words, four columns (Elo in each row's details), numbers under right-aligned
  headers, a search by owner or film, a jump to a place, the film board's note, cards on a phone;
- voting: registration with the keyboard puts the focus on the first pair; arrow keys vote only while the
  pair is on screen and no field has focus (a key press with the pair scrolled away, in the search field,
  or a click on a film casts nothing); after each vote the focus is on the new pair and the confirmation
  on screen; on a phone the new pair scrolls into view and key hints are hidden;
- recommendations that say which chosen sets led to them; the rate-limit notice with a retry;
- the account: each vote with both sets' films, an export naming films by title, a stale error cleared by
  typing, Escape closing the erasure dialog, and after sign-out and deletion the message on screen with
  the focus on it.
Saves screenshots (landing.png is the README's). Fails on any console error other than the 429, 403 and
401 it provoked. Exits 0 when every check held.
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
ARTICLE_LAST = re.compile(r", (The|A|An|La|Le|Les|Il|Das|Der|Die|L')( \(|\)|$)")


def text(selector):
    return driver.find_element(By.CSS_SELECTOR, selector).text


def shown(selector):
    return driver.find_element(By.CSS_SELECTOR, selector).is_displayed()


def active_id():
    return driver.execute_script("return document.activeElement && document.activeElement.id")


def focus_in(selector):
    return driver.execute_script(f"return document.querySelector({json.dumps(selector)}).contains(document.activeElement)")


def on_screen(selector):
    """True when the element's box lies within the viewport."""
    return driver.execute_script(
        f"const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
        "return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;")


def page_width():
    return driver.execute_script("return document.documentElement.scrollWidth")


def check_cards(where):
    """Every set card in `where`: four different films, natural titles, no empty meta line."""
    cards = driver.find_elements(By.CSS_SELECTOR, f"{where} article.set")
    assert len(cards) == 2, f"{where}: {len(cards)} cards"
    for card in cards:
        titles = [item.text for item in card.find_elements(By.CSS_SELECTOR, ".films li .title")]
        assert len(titles) == 4 and len(set(titles)) == 4, f"{where}: a set shows a film twice or not four: {titles}"
        for title in titles:
            assert not ARTICLE_LAST.search(title), f"{where}: title not in natural order: {title!r}"
            assert title.lower() not in ("unknown", "unkonwn"), title
        assert "ml_" not in card.find_element(By.CSS_SELECTOR, "h3").text, card.find_element(By.CSS_SELECTOR, "h3").text
        for meta in card.find_elements(By.CSS_SELECTOR, ".meta"):
            assert meta.text.strip() and meta.text.strip() != "Directed by", f"{where}: an empty line {meta.text!r}"


def status_after(action):
    """The vote status right after `action` (key and click handlers run before the driver call returns)."""
    action()
    return text("#vote-status")


try:
    # The landing page: how it works and a live pair, before any account exists.
    driver.set_window_size(1366, 900)
    driver.get(base + "/")
    eventually("the example pair", lambda: shown("#preview") and text("#preview-a h3") and text("#preview-b h3"))
    assert "Pick the four you would rather watch" in text("#how"), text("#how")
    assert on_screen("#preview-a h3") and on_screen("#how"), "the example pair is not on the first screen"
    assert not driver.find_elements(By.CSS_SELECTOR, "#preview button.pick"), "the example pair has vote buttons"
    check_cards("#preview")
    assert shown("#auth-form") and not shown("#duel")
    eventually("the leaderboard", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#board-rows tr")) == 10)
    driver.save_screenshot(os.path.join(screenshots, "landing.png"))
    before = (text("#preview-a h3"), text("#preview-b h3"))
    driver.find_element(By.ID, "preview-another").click()
    eventually("another example pair", lambda: (text("#preview-a h3"), text("#preview-b h3")) != before)
    check_cards("#preview")

    # The board: places in words, Elo in the details, numbers under right-aligned headers.
    caption_before = text("#board-caption")
    assert "votes" in caption_before, caption_before
    eventually("rated rows", lambda: text("#board-rows tr td").startswith("#"), timeout=90)
    place = text("#board-rows tr td")
    assert re.fullmatch(r"#1\n(between #1 and #\d+|certain)", place), repr(place)
    headers = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#board thead th")]
    assert len(headers) == 4 and not any("ELO" in h.upper() for h in headers), headers
    assert "between #4 and #9" in text("#board-explainer") or "#2 to #9" in text("#board-explainer"), text("#board-explainer")
    aligned = driver.execute_script(
        "const th = [...document.querySelectorAll('#board thead th')], td = [...document.querySelector('#board-rows tr').children];"
        "return th.map((h, i) => getComputedStyle(h).textAlign === getComputedStyle(td[i]).textAlign);")
    assert all(aligned), f"headers aligned unlike their numbers: {aligned}"
    first_row = driver.find_element(By.CSS_SELECTOR, "#board-rows tr")
    first_row.find_element(By.CSS_SELECTOR, "details summary").click()
    assert "Elo" in first_row.find_element(By.CSS_SELECTOR, "details").text
    # Search by a film of the first set; every row found holds it.
    film = first_row.find_element(By.CSS_SELECTOR, ".set-films li .title").text
    query = film.split(" (")[0][:12]
    driver.find_element(By.ID, "board-search").send_keys(query, Keys.ENTER)
    eventually("the search", lambda: "for “" in text("#board-caption"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#board-rows tr")
    assert rows and all(query.lower() in row.text.lower() for row in rows), (query, [row.text for row in rows])
    # A key press while a field has focus is the field's, not a vote (nobody is signed in yet, but the
    # handler must not even look).
    driver.find_element(By.ID, "board-clear").click()
    eventually("the whole board again", lambda: "for “" not in text("#board-caption"))
    # Jump to place 25: the page 21–30, the row marked.
    field = driver.find_element(By.ID, "board-place")
    field.send_keys("25", Keys.ENTER)
    eventually("the jump", lambda: text("#board-page").startswith("21–30"))
    assert text("#board-rows tr.highlight td").startswith("#25"), text("#board-rows tr.highlight td")
    driver.find_element(By.ID, "tab-movies").click()
    eventually("the film board", lambda: shown("#board-note") and text("#board-name") == "FILM")
    assert "rated by the sets it is in" in text("#board-note"), text("#board-note")
    driver.find_element(By.ID, "tab-sets").click()
    eventually("the set board", lambda: not shown("#board-note"))

    # The landing page and board at phone width: no sideways scrolling, the board as cards.
    driver.set_window_size(390, 844)
    driver.execute_script("window.scrollTo(0, 0)")
    eventually("the phone layout", lambda: page_width() <= 390)
    driver.save_screenshot(os.path.join(screenshots, "phone-landing.png"))
    driver.execute_script("document.getElementById('leaderboards').scrollIntoView()")
    assert page_width() <= 390, f"the page is {page_width()} px wide at phone width"
    board_width = driver.execute_script("return document.getElementById('board').getBoundingClientRect().width")
    assert board_width <= 390, f"the board is {board_width} px wide"
    assert driver.execute_script("return getComputedStyle(document.querySelector('#board thead')).display") == "none"
    driver.save_screenshot(os.path.join(screenshots, "phone-board.png"))
    driver.set_window_size(1366, 900)
    driver.execute_script("window.scrollTo(0, 0)")

    # Register with the keyboard only: type, Tab to "Create account", Enter; the focus lands on the pair.
    username = "browser_" + secrets.token_hex(4)
    field = driver.find_element(By.ID, "username")
    field.click()
    field.send_keys(username, Keys.TAB, "correct horse battery", Keys.TAB, Keys.TAB)
    assert active_id() == "register", f"Tab order reached {active_id()!r}, not the register button"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    eventually("signing in", lambda: f"Signed in as {username}" in text("#account"))
    eventually("a pair", lambda: text("#set-a h3") and text("#set-b h3"))
    assert not shown("#preview"), "the example pair stays after signing in"
    eventually("the focus on the first pair", lambda: focus_in("#duel"))
    check_cards("#duel")
    eventually("the empty state of recommendations", lambda: "do not know your taste yet" in text("#recommendations-note"))
    assert not driver.find_elements(By.CSS_SELECTOR, "#recommendation-list [data-reason=personalized]")

    # Only the buttons vote: a click on a film casts nothing.
    status = text("#vote-status")
    assert status_after(lambda: driver.find_element(By.CSS_SELECTOR, "#set-a .films li .title").click()) == status, "a click on a film voted"
    assert status_after(lambda: driver.find_element(By.CSS_SELECTOR, "#set-b h3").click()) == status, "a click on a set voted"

    for vote in range(1, 6):
        before = (text("#set-a h3"), text("#set-b h3"))
        # The clicks above left the focus on the page itself; from the second vote on it is on the pair.
        driver.switch_to.active_element.send_keys(Keys.ARROW_LEFT if vote % 2 else Keys.ARROW_RIGHT)
        eventually(f"vote {vote} to be counted", lambda: f"{vote} vote" in text("#vote-status") and "Counted" in text("#vote-status"))
        eventually(f"the pair after vote {vote}", lambda: (text("#set-a h3"), text("#set-b h3")) != before)
        eventually(f"the focus on the pair after vote {vote}", lambda: focus_in("#duel"))
        assert on_screen("#vote-status"), f"the confirmation of vote {vote} is off screen"
    check_cards("#duel")
    counted = text("#vote-status")

    # A key press with the pair scrolled away, or in a field, casts nothing.
    driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
    eventually("the pair off screen", lambda: not driver.execute_script(
        "const r = document.querySelector('#duel .duel').getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight"))
    body = driver.find_element(By.TAG_NAME, "body")
    driver.execute_script("document.activeElement.blur()")
    assert status_after(lambda: body.send_keys(Keys.ARROW_RIGHT)) == counted, "a key voted on a pair off screen"
    search = driver.find_element(By.ID, "board-search")
    assert status_after(lambda: search.send_keys(Keys.ARROW_LEFT)) == counted, "a key in the search field voted"
    driver.execute_script("window.scrollTo(0, 0)")

    eventually("the leaderboard's vote count to change", lambda: text("#board-caption") != caption_before)
    eventually("personal recommendations",
               lambda: driver.find_elements(By.CSS_SELECTOR, "#recommendation-list [data-reason=personalized]"), timeout=60)
    assert "Picked from the sets you preferred" in text("#recommendations-note")
    reasons = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#recommendation-list [data-reason=personalized] .why")]
    assert reasons and all(reason.startswith("Because ") for reason in reasons), reasons
    assert len(set(reasons)) > 1, f"every recommendation gives the same reason: {reasons}"
    driver.save_screenshot(os.path.join(screenshots, "desktop.png"))

    # Vote on with the buttons until the per-voter limit refuses; the page says so and offers to try again.
    def limited():
        if shown("#notice"):
            return True
        buttons = driver.find_elements(By.CSS_SELECTOR, "#set-a button.pick")
        if buttons:
            buttons[0].click()
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
    eventually("the notice to go once retried", lambda: not shown("#notice"), timeout=30)

    # A vote on a phone: the key hints hidden, the new pair and its confirmation scrolled into view.
    driver.set_window_size(390, 844)
    eventually("a pair on the phone", lambda: text("#set-b h3"))
    assert not shown("#duel-hint .keys") and not shown("#set-a button.pick kbd"), "key hints show on a phone"
    assert page_width() <= 390, f"the page is {page_width()} px wide at phone width"
    driver.execute_script("document.querySelector('#set-b button.pick').scrollIntoView({block: 'end'})")
    assert not on_screen("#vote-status")
    before = text("#set-b h3")

    def phone_vote():
        if text("#set-b h3") != before and on_screen("#vote-status") and focus_in("#duel"):
            return True
        if shown("#notice") and driver.find_element(By.ID, "notice-retry").is_enabled():
            driver.find_element(By.ID, "notice-retry").click()
        elif text("#set-b h3") == before:
            driver.find_element(By.CSS_SELECTOR, "#set-b button.pick").click()
        time.sleep(0.2)
        return False
    eventually("the next pair in view after a vote on the phone", phone_vote, timeout=30)
    driver.save_screenshot(os.path.join(screenshots, "phone.png"))
    driver.set_window_size(1366, 900)

    def sign_in(name, password):
        for field, value in (("username", name), ("password", password)):
            element = driver.find_element(By.ID, field)
            element.clear()
            element.send_keys(value)
        element.send_keys(Keys.ENTER)

    # Your account: the summary and the newest votes, each with both sets' films.
    link = driver.find_element(By.ID, "me-link")
    assert link.is_displayed(), "no 'Your account' link while signed in"
    link.click()
    eventually("the account summary", lambda: text("#me-name") == username)

    def agreeing():
        count = text("#me-votes")
        items = driver.find_elements(By.CSS_SELECTOR, "#my-votes-rows > li")
        return count.isdigit() and text("#my-votes-page").endswith(f"of {count}") and len(items) == min(int(count), 10) and int(count)
    voted = eventually("the summary and my votes to agree", agreeing)
    assert voted >= 6, f"the account says {voted} votes, at least 6 were counted"
    first = driver.find_element(By.CSS_SELECTOR, "#my-votes-rows > li")
    sides = first.find_elements(By.CSS_SELECTOR, ".side")
    assert len(sides) == 2 and all(len(side.find_elements(By.CSS_SELECTOR, ".set-films li")) == 4 for side in sides), first.text
    assert len(first.find_elements(By.CSS_SELECTOR, ".side.chosen")) == 1 and "you chose" in first.text, first.text
    assert "The sets you chose most" in text("#me-chosen"), text("#me-chosen")
    driver.execute_script("document.getElementById('me').scrollIntoView()")
    driver.save_screenshot(os.path.join(screenshots, "desktop-account-votes.png"))

    # Download my data: one JSON file with the account, every vote and recommendations named by title.
    driver.find_element(By.ID, "export").click()
    exported = os.path.join(downloads, f"moviemash-{username}.json")
    eventually("the downloaded export", lambda: os.path.exists(exported) and os.path.getsize(exported) > 0)
    with open(exported) as file:
        document = json.load(file)
    assert document["account"]["username"] == username, document["account"]
    exported_votes = {vote["voteID"] for vote in document["votes"]}
    assert document["account"]["votes"] == len(exported_votes) >= voted, (document["account"]["votes"], len(exported_votes), voted)
    assert all(len(vote["filmsA"]) == 4 and all(film.get("title") for film in vote["filmsA"] + vote["filmsB"]) for vote in document["votes"])
    assert document["recommendations"] and all(pick["film"].get("title") for pick in document["recommendations"]), document["recommendations"]
    listed = {item.get_attribute("data-vote") for item in driver.find_elements(By.CSS_SELECTOR, "#my-votes-rows > li")}
    assert listed <= exported_votes, f"votes listed but not exported: {listed - exported_votes}"
    eventually("the export's status", lambda: f"{len(exported_votes)} votes" in text("#export-status"))

    # Change password: a wrong current password is refused; typing again clears that stale error.
    driver.find_element(By.ID, "current-password").send_keys("not the password")
    driver.find_element(By.ID, "new-password").send_keys("a new and longer one")
    driver.find_element(By.ID, "change-password").click()
    eventually("the wrong password to be refused", lambda: "not this account's password" in text("#password-status"))
    field = driver.find_element(By.ID, "current-password")
    field.clear()
    field.send_keys("correct horse battery")
    assert text("#password-status") == "", f"a stale error stays: {text('#password-status')!r}"
    driver.find_element(By.ID, "change-password").click()
    eventually("the password change", lambda: "Password changed" in text("#password-status"))
    # The account panel is drawn again after the change: read its name once it is there.
    eventually("the account's name after the change", lambda: text("#me-name") == username)

    # Sign out from the account section: the message comes to the person, with the focus.
    driver.find_element(By.CSS_SELECTOR, "#account button").click()
    eventually("the sign-in form", lambda: shown("#auth-form") and not shown("#me"))
    eventually("the sign-out message in view with the focus",
               lambda: "signed out" in text("#auth-message") and on_screen("#auth-message") and active_id() == "auth-message")
    sign_in(username, "a new and longer one")
    eventually("signing in with the new password", lambda: f"Signed in as {username}" in text("#account"))

    # Delete my account: Escape closes the dialog, Cancel too, then confirmed.
    driver.find_element(By.ID, "me-link").click()
    driver.find_element(By.ID, "delete-password").send_keys("a new and longer one")
    driver.find_element(By.ID, "delete-account").click()
    eventually("the confirmation", lambda: shown("#delete-confirm"))
    driver.save_screenshot(os.path.join(screenshots, "desktop-account.png"))
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    eventually("Escape to close the dialog", lambda: not shown("#delete-confirm"))
    assert active_id() == "delete-password", active_id()
    driver.find_element(By.ID, "delete-account").click()
    eventually("the confirmation again", lambda: shown("#delete-confirm"))
    driver.find_element(By.ID, "delete-cancel").click()
    assert not shown("#delete-confirm") and f"Signed in as {username}" in text("#account")
    driver.find_element(By.ID, "delete-account").click()
    eventually("the confirmation a third time", lambda: shown("#delete-confirm"))
    driver.find_element(By.ID, "delete-confirmed").click()
    eventually("the farewell in view with the focus", lambda: shown("#auth-form") and "account was deleted" in text("#auth-message")
               and on_screen("#auth-message") and active_id() == "auth-message")
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
print(f"ok: landing, board (search, jump, cards), registered {username}, key and click votes only where seen, "
      f"recommendations with reasons, rate limit shown; {voted} votes listed and exported, password changed, "
      f"account deleted; screenshots in {screenshots}")
