// Who is signed in. The token lives in this tab's session storage (never in a URL) and is gone when the
// tab closes or the user signs out.

import { request } from "./api.js";

const key = "moviemash.session";
const listeners = new Set();

/** The signed-in user `{ username, token, expiresAt }`, or null. */
export function current() {
  try {
    const session = JSON.parse(sessionStorage.getItem(key) || "null");
    return session && Date.parse(session.expiresAt) > Date.now() ? session : null;
  } catch {
    return null;
  }
}

/** Calls `listener(session, message)` now and whenever someone signs in or out; `message` says why a
 *  session ended when the server ended it. */
export function onChange(listener) {
  listeners.add(listener);
  listener(current(), "");
}

function publish(session, message = "") {
  if (session) sessionStorage.setItem(key, JSON.stringify(session));
  else sessionStorage.removeItem(key);
  for (const listener of listeners) listener(session, message);
}

export async function signIn(username, password) {
  const { token, expiresAt } = await request("POST", "/api/auth/login", { body: { username, password } });
  publish({ username, token, expiresAt });
}

export async function register(username, password) {
  await request("POST", "/api/auth/register", { body: { username, password } });
  await signIn(username, password);
}

/** Ends the token on the server too, so a copy of it stops working; signed out here either way. */
export async function signOut() {
  const session = current();
  if (!session) return;
  try {
    await request("POST", "/api/auth/logout", { token: session.token });
    publish(null, "You are signed out. Sign in again to vote.");
  } catch (error) {
    publish(null, error.status === 401 ? "" : `Signed out on this device, but the server could not be told: ${error.message}`);
  }
}

/** Keeps the same user signed in with the token a password change returned. */
export function renewed(token, expiresAt) {
  const session = current();
  if (session) publish({ ...session, token, expiresAt });
}

/** The server no longer accepts this session (erased, or ended elsewhere): signed out, with `message`. */
export function ended(message = "Your session has ended. Please sign in again.") {
  publish(null, message);
}
