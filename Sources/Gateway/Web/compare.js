// The comparison: two sets side by side, a vote by a set's button or (while the pair is on screen and no
// field has focus) by arrow key, the next pair already fetched. A vote is shown as counted only once the
// server answered 201, that is once it is in the log; the next pair then takes the focus, and on a phone
// scrolls into view with the confirmation above it.

import { request } from "./api.js";
import { renderSet } from "./cards.js";
import { element } from "./dom.js";
import * as notice from "./notice.js";
import { ended } from "./session.js";

const duel = document.getElementById("duel");
const pair = duel.querySelector(".duel");
const status = document.getElementById("vote-status");
const cards = { setA: document.getElementById("set-a"), setB: document.getElementById("set-b") };
const counted = new Set();
const phone = window.matchMedia("(max-width: 640px)");

let session = null;
let shown = null;
let upcoming = null;
let votes = 0;
let own = "";
/** Where focus goes when the next pair is drawn: the side last voted for, or nowhere (first pair). */
let focusSide = null;
/** A pair is being fetched. */
let loading = false;
/** A vote failed and its notice offers to send it again: that retry fetches the pair too, so a pair that
 *  fails to load meanwhile does not replace the notice (and the vote's retry with it). */
let voteToRetry = false;
/** No pair or vote is asked for before this time (ms): after a 429, the server's Retry-After. The
 *  per-voter limit counts pairs and votes alike, so a request sent early would only be refused, and a
 *  pair fetched by itself would take the turn the vote's retry needs. */
let notBefore = 0;

/** Marks sets of the Letterboxd profile `name` (the voter's claim) as "your four"; null for none. */
export function markOwn(name) {
  own = (name || "").toLowerCase();
}

/** Calls `listener()` after each vote the server has counted. */
export function onVoteCounted(listener) {
  counted.add(listener);
}

/** Shows pairs to `newSession`'s user, or nothing when signed out; `focus` moves the focus to the first pair. */
export function start(newSession, { focus = false } = {}) {
  session = newSession;
  shown = null;
  upcoming = null;
  votes = 0;
  voteToRetry = false;
  notBefore = 0;
  focusSide = focus ? "setA" : null;
  say("", "");
  duel.hidden = !session;
  if (session) showNext();
}

/** True while most of the pair is on screen: only then may a key vote (never for a pair out of sight). */
export function pairInView() {
  if (duel.hidden || !shown) return false;
  const box = pair.getBoundingClientRect();
  const visible = Math.min(box.bottom, window.innerHeight) - Math.max(box.top, 0);
  return visible >= Math.min(box.height, window.innerHeight) * 0.6;
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.defaultPrevented) return;
  // A key typed into a field, a tab list or an open dialog belongs to it, not to the pair.
  const active = document.activeElement;
  if (active && active !== document.body && !duel.contains(active)) return;
  if (document.querySelector("[role=alertdialog]:not([hidden])")) return;
  if (!pairInView()) return;
  event.preventDefault();
  vote(event.key === "ArrowLeft" ? "setA" : "setB");
});

/** A voting request with this session's token, once `notBefore` has passed; a 429 moves `notBefore`. */
async function call(method, path, options = {}) {
  const token = session.token;
  const wait = notBefore - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  try {
    return await request(method, path, { ...options, token });
  } catch (error) {
    if (error.kind === "rate-limited") notBefore = Date.now() + Math.max(1, error.retryAfter) * 1000;
    throw error;
  }
}

function nextPair() {
  return call("GET", "/api/comparisons/next");
}

function prefetch() {
  // While a vote waits to be sent again, its retry asks for the pair after it.
  if (voteToRetry) return;
  upcoming = nextPair();
  upcoming.catch(() => {});
}

async function showNext() {
  const pending = upcoming || nextPair();
  upcoming = null;
  duel.setAttribute("aria-busy", "true");
  loading = true;
  let next;
  try {
    next = await pending;
    // A pair fetched long ago may carry a ticket about to expire.
    if (Date.parse(next.expiresAt) - Date.now() < 10_000) next = await nextPair();
  } catch (error) {
    loading = false;
    if (error.kind === "rate-limited") {
      // Faster than the per-voter limit: a pair is a read, so it is asked for again by itself once
      // allowed (for the same person, unless a vote's retry will ask for it).
      const waiting = session;
      setTimeout(() => {
        if (session === waiting && !voteToRetry && !shown && !loading) showNext();
      }, Math.max(0, notBefore - Date.now()));
    } else if (!voteToRetry || error.status === 401) {
      fail(error, showNext);
    }
    return;
  }
  loading = false;
  shown = next;
  render(cards.setA, next.setA, "←", "ArrowLeft", "left");
  render(cards.setB, next.setB, "→", "ArrowRight", "right");
  duel.removeAttribute("aria-busy");
  if (focusSide) {
    cards[focusSide].querySelector("button.pick").focus({ preventScroll: true });
    // On a phone the pair is taller than the screen: bring its start (and the confirmation above it) back.
    if (phone.matches || !pairInView()) status.scrollIntoView({ block: "start" });
  }
  prefetch();
}

function render(card, set, arrow, key, side) {
  const mine = own !== "" && set.owner.toLowerCase() === own;
  const button = element("button", { type: "button", class: "pick", "aria-keyshortcuts": key, "data-side": side },
    mine ? "Prefer your four" : `Prefer ${set.owner}’s four`, element("kbd", { "aria-hidden": "true" }, arrow));
  button.addEventListener("click", () => vote(card === cards.setA ? "setA" : "setB"));
  renderSet(card, set, { mine, after: [button] });
}

function vote(winner) {
  if (!shown) return;
  const voted = shown;
  shown = null;
  focusSide = winner;
  const owner = (winner === "setA" ? voted.setA : voted.setB).owner;
  send(voted.ticket, winner, owner, randomKey());
  showNext();
}

function say(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

async function send(ticket, winner, owner, key) {
  say("pending", `Counting your vote for ${owner}’s four…`);
  try {
    await call("POST", "/api/votes", { body: { ticket, winner }, idempotencyKey: key });
  } catch (error) {
    say("failed", `Your vote for ${owner}’s four was not counted.`);
    if (error.kind === "invalid-ticket" || error.kind === "ticket-used") {
      notice.show(error, showFresh);
    } else {
      voteToRetry = true;
      fail(error, async () => {
        voteToRetry = false;
        await send(ticket, winner, owner, key);
        if (!shown && !loading) showNext();
      });
    }
    return;
  }
  votes += 1;
  say("counted", `Counted: you preferred ${owner}’s four. ${votes} ${votes === 1 ? "vote" : "votes"} counted this visit.`);
  for (const listener of counted) listener();
}

function showFresh() {
  upcoming = null;
  shown = null;
  showNext();
}

function fail(error, retry) {
  if (error.status === 401) {
    ended(error.message);
  } else {
    notice.show(error, retry);
  }
}

// The same key for every retry of one vote: the server answers a retry with the first answer.
function randomKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
