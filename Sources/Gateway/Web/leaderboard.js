// Leaderboards of sets and films: Bradley–Terry place and the range of places its interval allows,
// rating with its interval drawn as a bar, Elo and how many votes the rating rests on (for films, the votes
// on the sets it is in: films are rated as teams, a set's strength the sum of its films'). Every page of one walk comes from one fit (its id is passed on); the caption says when the
// ratings lag the votes.

import { request } from "./api.js";
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
const tabs = [...document.querySelectorAll("[role=tab][data-board]")];

let board = "sets";
let offset = 0;
let total = 0;
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
previous.addEventListener("click", () => turn(-pageSize));
next.addEventListener("click", () => turn(pageSize));

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

function turn(step) {
  offset = Math.max(0, Math.min(offset + step, Math.max(0, total - 1)));
  refresh(true);
}

/** Loads the current page of the selected leaderboard: of the walk's fit when turning pages, else the newest. */
export async function refresh(turning = false) {
  let page;
  const pinned = turning && fit !== null ? `&fit=${fit}` : "";
  try {
    page = await request("GET", `/api/leaderboard/${board}?offset=${offset}&limit=${pageSize}${pinned}`);
  } catch (error) {
    if (error.type === "fit-gone") {
      // The walk's fit was replaced long ago: start again from the newest ratings.
      offset = 0;
      fit = null;
      return refresh();
    }
    notice.show(error, () => refresh(turning));
    return;
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
  note.hidden = sets;
  caption.textContent = `${sets ? "Sets" : "Films"} by rating, from ${page.fit.votes.toLocaleString("en")} ${page.fit.votes === 1 ? "vote" : "votes"}`
    + freshness(page.fit);
  const intervals = page.items.map((item) => item.bradleyTerry).filter(Boolean);
  const low = Math.min(...intervals.map((strength) => strength.lower));
  const high = Math.max(...intervals.map((strength) => strength.upper));
  rows.replaceChildren(...page.items.map((item) => row(item, sets, low, high)));
  const last = Math.min(offset + page.items.length, total);
  pageLabel.textContent = total ? `${offset + 1}–${last} of ${total}` : "Nothing rated yet";
  previous.disabled = offset === 0;
  next.disabled = last >= total;
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

/** "#3" and, below, the places its interval allows. */
function place(strength) {
  if (!strength) return "–";
  const range = strength.rank === strength.worstRank ? "certain" : `could be ${strength.rank}–${strength.worstRank}`;
  return [element("span", { class: "title" }, `#${strength.position}`), element("span", { class: "meta" }, range)];
}

function row(item, sets, low, high) {
  const strength = item.bradleyTerry;
  const name = sets
    ? element("td", {}, element("span", { class: "title" }, item.owner),
      element("span", { class: "meta" }, item.films.map((film) => film.title || film.id).join(" · ")))
    : element("td", {}, element("span", { class: "title" }, item.title || item.id), item.year ? ` (${item.year})` : "");
  const votes = sets ? `${item.appearances} (${item.wins})` : String(strength ? strength.comparisons : 0);
  return element("tr", {},
    element("td", { class: "number" }, ...[place(strength)].flat()),
    name,
    element("td", {}, strength ? rating(strength, low, high) : "not yet rated"),
    element("td", { class: "number" }, item.elo === undefined ? "–" : String(Math.round(item.elo))),
    element("td", { class: "number" }, votes),
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
