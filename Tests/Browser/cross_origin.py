#!/usr/bin/env python3
"""CORS as a browser enforces it: a page served from a second loopback origin calls the API.

usage: cross_origin.py API_BASE ALLOWED_PORT OTHER_PORT

Serves a blank page on http://127.0.0.1:ALLOWED_PORT (an origin the service allows with --cors-origins) and on
http://127.0.0.1:OTHER_PORT (one it does not), and from each, in headless Chromium, calls the API with fetch:
from the allowed origin, registration, sign-in, a password change (PUT, preflighted), the profile, and the
account's deletion (DELETE, preflighted) all succeed and the exposed MovieMash-Position header is readable;
from the other origin the browser refuses to hand over even /health. Exits non-zero with the reason otherwise.
"""
import http.server
import sys
import threading

import browser

CALLS = """
const done = arguments[arguments.length - 1];
const api = arguments[0];
(async () => {
  const json = {"Content-Type": "application/json"};
  const result = {};
  const name = "cors_" + Math.floor(Math.random() * 1e9);
  let response = await fetch(api + "/api/auth/register", {method: "POST", headers: json,
    body: JSON.stringify({username: name, password: "correct horse battery"})});
  result.register = response.status;
  result.position = response.headers.get("MovieMash-Position");
  response = await fetch(api + "/api/auth/login", {method: "POST", headers: json,
    body: JSON.stringify({username: name, password: "correct horse battery"})});
  result.login = response.status;
  let token = (await response.json()).token;
  response = await fetch(api + "/api/me/password", {method: "PUT", headers: {...json, Authorization: "Bearer " + token},
    body: JSON.stringify({currentPassword: "correct horse battery", newPassword: "another horse battery"})});
  result.password = response.status;
  token = (await response.json()).token;
  response = await fetch(api + "/api/me", {headers: {Authorization: "Bearer " + token}});
  result.me = response.status;
  response = await fetch(api + "/api/me", {method: "DELETE", headers: {...json, Authorization: "Bearer " + token},
    body: JSON.stringify({password: "another horse battery"})});
  result.delete = response.status;
  return result;
})().then(done, error => done({error: String(error)}));
"""

REFUSED = """
const done = arguments[arguments.length - 1];
fetch(arguments[0] + "/health").then(r => done({status: r.status}), error => done({error: String(error)}));
"""


class Blank(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>another site</title><p>another site</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass


def serve(port):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Blank)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    api, allowed, other = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    servers = [serve(allowed), serve(other)]
    driver = browser.chromium()
    driver.set_script_timeout(60)
    try:
        driver.get(f"http://127.0.0.1:{allowed}/")
        result = driver.execute_async_script(CALLS, api)
        print("allowed origin:", result)
        expected = {"register": 201, "login": 200, "password": 200, "me": 200, "delete": 204}
        for key, status in expected.items():
            assert result.get(key) == status, f"{key}: {result}"
        assert result.get("position", "").isdigit(), f"MovieMash-Position is exposed to the page: {result}"

        driver.get(f"http://127.0.0.1:{other}/")
        refused = driver.execute_async_script(REFUSED, api)
        print("other origin:", refused)
        assert "error" in refused and "Failed to fetch" in refused["error"], f"another origin read the API: {refused}"
        cors = [entry["message"] for entry in driver.get_log("browser") if "CORS" in entry["message"]]
        assert cors, "the browser names CORS as the reason"
    finally:
        driver.quit()
        for server in servers:
            server.shutdown()


if __name__ == "__main__":
    main()
