// The comparison: two sets side by side, a vote by click or arrow key, the next pair already fetched.
// A vote is shown as counted only once the server answered 201, that is once it is in the log.

import { request } from "./api.js";
import { element } from "./dom.js";
import * as notice from "./notice.js";
import { ended } from "./session.js";

const duel = document.getElementById("duel");
const status = document.getElementById("vote-status");
const cards = { setA: document.getElementById("set-a"), setB: document.getElementById("set-b") };
const counted = new Set();

let session = null;
let shown = null;
let upcoming = null;
let votes = 0;
let own = "";

/** Marks sets of the Letterboxd profile `name` (the voter's claim) as "your four"; null for none. */
export function markOwn(name) {
  own = (name || "").toLowerCase();
}

/** Calls `listener()` after each vote the server has counted. */
export function onVoteCounted(listener) {
  counted.add(listener);
}

/** Shows pairs to `newSession`'s user, or nothing when signed out. */
export function start(newSession) {
  session = newSession;
  shown = null;
  upcoming = null;
  votes = 0;
  say("", "");
  duel.hidden = !session;
  if (session) showNext();
}

for (const [winner, card] of Object.entries(cards)) {
  card.addEventListener("click", (event) => {
    if (!event.target.closest("button")) vote(winner);
  });
}

document.addEventListener("keydown", (event) => {
  if (duel.hidden || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (event.target.closest("input, textarea, select, [role=tab]")) return;
  if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
    event.preventDefault();
    vote(event.key === "ArrowLeft" ? "setA" : "setB");
  }
});

function nextPair() {
  return request("GET", "/api/comparisons/next", { token: session.token });
}

function prefetch() {
  upcoming = nextPair();
  upcoming.catch(() => {});
}

async function showNext() {
  const pending = upcoming || nextPair();
  upcoming = null;
  duel.setAttribute("aria-busy", "true");
  let pair;
  try {
    pair = await pending;
    // A pair fetched long ago may carry a ticket about to expire.
    if (Date.parse(pair.expiresAt) - Date.now() < 10_000) pair = await nextPair();
  } catch (error) {
    fail(error, showNext);
    return;
  }
  shown = pair;
  render(cards.setA, pair.setA, "←", "ArrowLeft", "left");
  render(cards.setB, pair.setB, "→", "ArrowRight", "right");
  duel.removeAttribute("aria-busy");
  prefetch();
}

function render(card, set, arrow, key, side) {
  const list = element("ol", { class: "films" });
  for (const film of set.films) {
    const item = element("li", {}, element("span", { class: "title" }, film.title || film.id));
    if (film.year) item.append(" ", element("span", { class: "year" }, `(${film.year})`));
    if (film.directors.length) item.append(element("span", { class: "meta" }, `Directed by ${film.directors.join(", ")}`));
    if (film.genres.length) item.append(element("span", { class: "meta" }, film.genres.join(" · ")));
    list.append(item);
  }
  const mine = own !== "" && set.owner.toLowerCase() === own;
  const heading = element("h3", { id: `${card.id}-owner` }, `${set.owner}’s four`);
  if (mine) heading.append(element("span", { class: "badge" }, "your four"));
  card.classList.toggle("own", mine);
  card.replaceChildren(
    heading,
    list,
    element("button", { type: "button", class: "pick", "aria-keyshortcuts": key, "data-side": side },
      mine ? "Prefer your four " : `Prefer ${set.owner}’s four `, element("kbd", { "aria-hidden": "true" }, arrow)),
  );
  card.querySelector("button").addEventListener("click", () => vote(card === cards.setA ? "setA" : "setB"));
}

function vote(winner) {
  if (!shown) return;
  const pair = shown;
  shown = null;
  const owner = (winner === "setA" ? pair.setA : pair.setB).owner;
  send(pair.ticket, winner, owner, randomKey());
  showNext();
}

function say(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

async function send(ticket, winner, owner, key) {
  say("pending", `Counting your vote for ${owner}’s four…`);
  try {
    await request("POST", "/api/votes", { token: session.token, body: { ticket, winner }, idempotencyKey: key });
  } catch (error) {
    say("failed", `Your vote for ${owner}’s four was not counted.`);
    if (error.kind === "invalid-ticket" || error.kind === "ticket-used") notice.show(error, showFresh);
    else fail(error, () => send(ticket, winner, owner, key));
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
