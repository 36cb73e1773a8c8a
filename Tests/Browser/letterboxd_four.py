"""Drives "Add your Letterboxd four" in headless Chromium against a live server that reads a fake Letterboxd.

usage: letterboxd_four.py BASE_URL SCREENSHOT_DIR

Registers, opens "Add your four", asks for a private profile and a missing one (each answer in plain
words), then claims the profile `my_four`: the status line follows it live from waiting to "in the game",
and the page names it as the voter's own. Then votes through the comparisons (the log holds three other
sets, so the new set must come up) until a card shows the "your four" badge. Screenshots under
SCREENSHOT_DIR; fails on console errors. Exits 0 when every check held.
"""
import os
import secrets
import sys

from selenium.webdriver.common.by import By

from browser import chromium, eventually

base, screenshots = sys.argv[1], sys.argv[2]
os.makedirs(screenshots, exist_ok=True)
driver = chromium()
console = []
states = []
try:
    driver.get(base + "/")
    text = lambda selector: driver.find_element(By.CSS_SELECTOR, selector).text
    shown = lambda selector: driver.find_element(By.CSS_SELECTOR, selector).is_displayed()
    assert not shown("#letterboxd") and not shown("#letterboxd-link"), "the section shows before sign-in"

    username = "four_" + secrets.token_hex(4)
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys("correct horse battery")
    driver.find_element(By.ID, "register").click()
    eventually("signing in", lambda: f"Signed in as {username}" in text("#account"))
    eventually("the section", lambda: shown("#letterboxd") and shown("#letterboxd-link"))
    driver.find_element(By.ID, "letterboxd-link").click()

    name = driver.find_element(By.ID, "letterboxd-name")
    add = driver.find_element(By.ID, "letterboxd-add")
    status = lambda: text("#letterboxd-status")

    def ask(profile):
        name.clear()
        name.send_keys(profile)
        add.click()

    ask("not a name!")
    eventually("the invalid name to be refused in the browser", lambda: driver.execute_script("return !document.getElementById('letterboxd-name').validity.valid"))
    ask("hidden_profile")
    eventually("the private profile's answer", lambda: "is private" in status(), timeout=60)
    ask("nobody_there")
    eventually("the missing profile's answer", lambda: "has no member called nobody_there" in status(), timeout=60)

    ask("My_Four")

    def record():
        states.append(status())
        return "four favourites are in the game" in states[-1]
    eventually("my_four to be read", record, timeout=60)
    assert any("read" in s or "Asking" in s or "next" in s for s in states[:-1]) or len(states) == 1, states
    eventually("the claim to show", lambda: shown("#own-four") and "Your Letterboxd four: my_four" in text("#own-four"))
    driver.save_screenshot(os.path.join(screenshots, "desktop-letterboxd.png"))
    eventually("the leaderboard to list the new set", lambda: "my_four" in text("#board-rows"))

    # Four sets in all: every pair comes up before comparisons run out, three of them with the new set.
    seen = False
    for vote in range(6):
        eventually("a pair", lambda: text("#set-a h3") and text("#set-b h3"))
        badges = driver.find_elements(By.CSS_SELECTOR, ".set.own .badge")
        if badges:
            assert badges[0].text == "your four", badges[0].text
            owner = badges[0].find_element(By.XPATH, "./ancestor::article").find_element(By.CSS_SELECTOR, "h3").text
            assert owner.startswith("my_four"), owner
            assert "Prefer your four" in badges[0].find_element(By.XPATH, "./ancestor::article").find_element(By.CSS_SELECTOR, "button").text
            seen = True
            driver.execute_script("document.getElementById('compare').scrollIntoView()")
            driver.save_screenshot(os.path.join(screenshots, "desktop-your-four.png"))
            break
        before = (text("#set-a h3"), text("#set-b h3"))
        driver.find_element(By.CSS_SELECTOR, "#set-a button.pick").click()
        eventually(f"vote {vote + 1} to be counted", lambda: "Counted" in text("#vote-status"))
        eventually("the next pair", lambda: (text("#set-a h3"), text("#set-b h3")) != before)
    assert seen, "the claimed set never came up with its badge"
    console = driver.get_log("browser")
finally:
    driver.quit()

errors = [entry for entry in console if entry["level"] == "SEVERE"]
assert not errors, f"console errors: {errors}"
print(f"ok: {username} saw private and missing profiles explained, claimed my_four ({len(states)} states shown live), "
      f"and met it as 'your four'; screenshots in {screenshots}")
