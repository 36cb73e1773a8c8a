// Leaderboards of sets and films: the place, said with the range of places its 95% interval allows; the
// rating with its interval drawn as a bar; how many votes it rests on (for films, the votes on the sets
// it is in: films are rated as teams); Elo and links in each row's details. A search by owner or film and
// a jump to a place. Every page of one walk comes from one fit (its id is passed on); the caption says
// when the ratings lag the votes. On a phone each row is a card.

import { request } from "./api.js";
import { filmName, ownerName } from "./cards.js";
import { element } from "./dom.js";
import * as notice from "./notice.js";

const pageSize = 10;
const rows = document.getElementById("board-rows");
const table = document.getElementById("board");
const caption = document.getElementById("board-caption");
const nameHeader = document.getElementById("board-name");
const votesHeader = document.getElementById("board-votes");
const note = document.getElementById("board-note");
const pageLabel = document.getElementById("board-page");
const previous = document.getElementById("board-previous");
const next = document.getElementById("board-next");
const tools = document.getElementById("board-tools");
const searchField = document.getElementById("board-search");
const searchLabel = document.getElementById("board-search-label");
const clearButton = document.getElementById("board-clear");
const placeField = document.getElementById("board-place");
const goButton = document.getElementById("board-go");
const tabs = [...document.querySelectorAll("[role=tab][data-board]")];

let board = "sets";
let offset = 0;
let total = 0;
/** The search shown ("" for the whole board). */
let search = "";
/** The fit the pages shown so far come from (null: take the newest). */
let fit = null;
/** The next look at the first page while its ratings are catching up. */
let followUp = null;
const followUpAfter = 5000;

for (const tab of tabs) {
  tab.addEventListener("click", () => select(tab));
  tab.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    event.preventDefault();
    const other = tabs[(tabs.indexOf(tab) + 1) % tabs.length];
    other.focus();
    select(other);
  });
}
previous.addEventListener("click", () => turn(offset - pageSize));
next.addEventListener("click", () => turn(offset + pageSize));
tools.addEventListener("submit", (event) => {
  event.preventDefault();
  search = searchField.value.trim();
  offset = 0;
  fit = null;
  refresh();
});
clearButton.addEventListener("click", () => {
  searchField.value = "";
  search = "";
  offset = 0;
  fit = null;
  refresh();
  searchField.focus();
});
goButton.addEventListener("click", jump);
placeField.addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    jump();
  }
});

/** Shows the page holding the place typed (on the whole board: a search is cleared first). */
function jump() {
  const place = Number(placeField.value);
  if (!Number.isInteger(place) || place < 1) {
    placeField.setCustomValidity("A place is a whole number from 1.");
    placeField.reportValidity();
    return;
  }
  placeField.setCustomValidity("");
  searchField.value = "";
  search = "";
  offset = Math.floor((place - 1) / pageSize) * pageSize;
  refresh(true, place);
}

function select(tab) {
  for (const each of tabs) {
    each.setAttribute("aria-selected", String(each === tab));
    each.tabIndex = each === tab ? 0 : -1;
  }
  table.setAttribute("aria-labelledby", tab.id);
  board = tab.dataset.board;
  offset = 0;
  fit = null;
  refresh();
}

function turn(to) {
  offset = Math.max(0, Math.min(to, Math.max(0, total - 1)));
  refresh(true);
}

/** Loads the current page of the selected leaderboard: of the walk's fit when turning pages, else the
 *  newest; `highlight` marks the row of that place. */
export async function refresh(turning = false, highlight = 0) {
  let page;
  const pinned = turning && fit !== null ? `&fit=${fit}` : "";
  const query = search ? `&q=${encodeURIComponent(search)}` : "";
  try {
    page = await request("GET", `/api/leaderboard/${board}?offset=${offset}&limit=${pageSize}${pinned}${query}`);
  } catch (error) {
    if (error.kind === "fit-gone") {
      // The walk's fit was replaced long ago: start again from the newest ratings.
      offset = 0;
      fit = null;
      return refresh();
    }
    notice.show(error, () => refresh(turning, highlight));
    return;
  }
  if (page.total > 0 && offset >= page.total) {
    // A place beyond the last: show the last page instead.
    offset = Math.floor((page.total - 1) / pageSize) * pageSize;
    return refresh(turning, Math.min(highlight, page.total));
  }
  fit = page.fit.id;
  total = page.total;
  clearTimeout(followUp);
  if (!turning && offset === 0 && (page.fit.state === "updating" || page.fit.state === "pending")) {
    // The caption says newer votes or sets are not in the ratings yet: look again once a fit may have them.
    followUp = setTimeout(() => { if (offset === 0) refresh(); }, followUpAfter);
  }
  const sets = board === "sets";
  nameHeader.textContent = sets ? "Set" : "Film";
  votesHeader.textContent = sets ? "Votes (won)" : "Votes on its sets";
  searchLabel.textContent = sets ? "Find an owner or film" : "Find a film";
  note.hidden = sets;
  clearButton.hidden = !search;
  placeField.max = String(Math.max(1, search ? 1 : total));
  const found = search ? ` · ${total.toLocaleString("en")} ${total === 1 ? "match" : "matches"} for “${search}”` : "";
  caption.textContent = `${sets ? "Sets" : "Films"} by rating, from ${page.fit.votes.toLocaleString("en")} ${page.fit.votes === 1 ? "vote" : "votes"}`
    + found + freshness(page.fit);
  const intervals = page.items.map((item) => item.bradleyTerry).filter(Boolean);
  const low = Math.min(...intervals.map((strength) => strength.lower));
  const high = Math.max(...intervals.map((strength) => strength.upper));
  rows.replaceChildren(...page.items.map((item) => row(item, sets, low, high, highlight)));
  const last = Math.min(offset + page.items.length, total);
  pageLabel.textContent = total ? `${offset + 1}–${last} of ${total.toLocaleString("en")}` : (search ? "Nothing found" : "Nothing rated yet");
  previous.disabled = offset === 0;
  next.disabled = last >= total;
  rows.querySelector(".highlight")?.scrollIntoView({ block: "center" });
}

/** What the caption adds about the fit: nothing when it covers every vote. */
function freshness(fit) {
  if (fit.state === "pending") return " · ratings updating: the first fit is still running, so this order is by Elo";
  if (fit.state === "updating") {
    const waiting = fit.votesInLog - fit.votes;
    return waiting > 0
      ? ` · ratings updating: ${waiting.toLocaleString("en")} newer ${waiting === 1 ? "vote is" : "votes are"} not in them yet`
      : " · ratings updating: newer sets or films are not in them yet";
  }
  return "";
}

/** "#3" and, below, the places its interval allows, in words. */
function place(strength) {
  if (!strength) return ["–"];
  const range = strength.rank === strength.worstRank
    ? "certain"
    : `between #${strength.rank} and #${strength.worstRank}`;
  return [element("span", { class: "place" }, `#${strength.position}`), element("span", { class: "meta range-words" }, range)];
}

function row(item, sets, low, high, highlight) {
  const strength = item.bradleyTerry;
  const details = element("details", { class: "more" }, element("summary", {}, "Details"));
  const facts = element("dl", {});
  const fact = (term, ...value) => facts.append(element("dt", {}, term), element("dd", {}, ...value));
  fact("Elo", item.elo === undefined ? "–" : String(Math.round(item.elo)),
    element("span", { class: "meta" }, "A running score each vote nudges in turn; the rating weighs all votes at once, so the two can differ."));
  let name;
  if (sets) {
    const films = element("ul", { class: "set-films" }, ...item.films.map((film) => element("li", {}, ...filmName(film))));
    name = [element("span", { class: "title" }, ownerName(item), "’s four"), films];
    fact("Votes", `${item.appearances} (won ${item.wins}, lost ${item.losses})`);
  } else {
    name = [element("span", { class: "film-name" }, ...filmName(item))];
    if (item.directors.length) name.push(element("span", { class: "meta" }, `Directed by ${item.directors.join(", ")}`));
  }
  details.append(facts);
  const votes = sets ? `${item.appearances} (${item.wins})` : String(strength ? strength.comparisons : 0);
  const marked = highlight && strength && strength.position === highlight;
  return element("tr", marked ? { class: "highlight" } : {},
    element("td", { class: "number", "data-label": "Place" }, ...place(strength)),
    element("td", { class: "name", "data-label": sets ? "Set" : "Film" }, ...name, details),
    element("td", { "data-label": "Rating" }, strength ? rating(strength, low, high) : "not yet rated"),
    element("td", { class: "number", "data-label": sets ? "Votes (won)" : "Votes on its sets" }, votes),
  );
}

function rating(strength, low, high) {
  const span = high - low || 1;
  const range = element("span", { class: "range" });
  range.style.left = `${((strength.lower - low) / span) * 100}%`;
  range.style.width = `${Math.max(1, ((strength.upper - strength.lower) / span) * 100)}%`;
  const point = element("span", { class: "point" });
  point.style.left = `${((strength.rating - low) / span) * 100}%`;
  return element("span", { class: "rating" },
    element("span", { class: "value" }, String(Math.round(strength.rating))),
    element("span", { class: "interval", "aria-hidden": "true" }, range, point),
    element("span", { class: "meta" }, `${Math.round(strength.lower)}–${Math.round(strength.upper)}`),
  );
}
