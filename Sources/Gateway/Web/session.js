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

/** Calls `listener(session)` now and whenever someone signs in or out. */
export function onChange(listener) {
  listeners.add(listener);
  listener(current());
}

function publish(session) {
  if (session) sessionStorage.setItem(key, JSON.stringify(session));
  else sessionStorage.removeItem(key);
  for (const listener of listeners) listener(session);
}

export async function signIn(username, password) {
  const { token, expiresAt } = await request("POST", "/api/auth/login", { body: { username, password } });
  publish({ username, token, expiresAt });
}

export async function register(username, password) {
  await request("POST", "/api/auth/register", { body: { username, password } });
  await signIn(username, password);
}

export function signOut() {
  publish(null);
}
