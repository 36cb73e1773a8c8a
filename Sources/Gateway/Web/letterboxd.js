// "Add your Letterboxd four": ask MovieMash to read a Letterboxd profile, optionally claim it as your own,
// and watch its state until it is read, or until it is clear why it cannot be.

import { request } from "./api.js";
import * as compare from "./compare.js";
import * as leaderboard from "./leaderboard.js";
import * as session from "./session.js";

const section = document.getElementById("letterboxd");
const link = document.getElementById("letterboxd-link");
const form = document.getElementById("letterboxd-form");
const nameInput = document.getElementById("letterboxd-name");
const claim = document.getElementById("letterboxd-claim");
const addButton = document.getElementById("letterboxd-add");
const status = document.getElementById("letterboxd-status");
const own = document.getElementById("own-four");
const waiting = new Set(["queued", "fetching", "blocked"]);
const pollEvery = 1500;

let current = null;
let timer = null;

function say(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

function describe(profile) {
  const name = profile.username;
  switch (profile.state) {
    case "queued":
      return profile.place > 1 ? `${name}: waiting to be read, ${profile.place - 1} ahead…` : `${name}: next to be read…`;
    case "fetching":
      return `${name}: reading the profile from Letterboxd…`;
    case "blocked":
      return `${name}: Letterboxd asked us to slow down. We carry on at ${new Date(profile.pausedUntil).toLocaleTimeString()}, and your request keeps its place.`;
    case "fetched":
      return profile.setID ? `${name}’s four favourites are in the game.` : `${name}: read.`;
    case "fewer-than-four":
      return `${name} has ${profile.favourites} favourite film${profile.favourites === 1 ? "" : "s"} on Letterboxd; MovieMash needs four. Add them on Letterboxd, then try again.`;
    case "private":
      return `${name}’s profile is private. MovieMash reads only public profiles.`;
    case "not-found":
      return `Letterboxd has no member called ${name}. Check the spelling in your profile’s address.`;
    default:
      return `Reading ${name} failed for now; MovieMash tries again later.`;
  }
}

function report(profile) {
  const state = waiting.has(profile.state) ? "waiting" : profile.state === "fetched" ? "done" : "failed";
  say(state, describe(profile));
  if (profile.setID) leaderboard.refresh();
  return state === "waiting";
}

function stopWatching() {
  clearTimeout(timer);
  timer = null;
}

/** Polls `name`'s state while it waits; the status line follows it live. */
function watch(name) {
  stopWatching();
  timer = setTimeout(async () => {
    try {
      const profile = await request("GET", `/api/letterboxd-users/${encodeURIComponent(name)}`);
      if (report(profile)) watch(name);
    } catch (error) {
      say("failed", error.message);
    }
  }, pollEvery);
}

function setOwn(name) {
  compare.markOwn(name);
  own.hidden = !name;
  own.textContent = name ? `Your Letterboxd four: ${name}. Its set shows as “your four” when it comes up.` : "";
}

/** Shows the section to `newSession`'s user, or hides it when signed out. */
export async function show(newSession) {
  current = newSession;
  stopWatching();
  say("", "");
  section.hidden = !current;
  link.hidden = !current;
  setOwn(null);
  if (!current) return;
  try {
    const me = await request("GET", "/api/me", { token: current.token });
    if (current && current.token === newSession.token) setOwn(me.letterboxdUser);
  } catch {
    // The account section reports what went wrong with /api/me; this only misses the "your four" mark.
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!form.reportValidity()) return;
  stopWatching();
  addButton.disabled = true;
  say("waiting", "Asking…");
  try {
    const profile = await request("POST", "/api/letterboxd-users", {
      token: current.token, body: { username: nameInput.value.trim(), claim: claim.checked },
    });
    if (profile.claimedByYou) setOwn(profile.username);
    if (report(profile)) watch(profile.username);
  } catch (error) {
    if (error.status === 401) session.ended(error.message);
    else say("failed", error.message);
  } finally {
    addButton.disabled = false;
  }
});
