// "Your account": who you are here, the votes you cast (both sets' films, the chosen one marked), your
// data to take away, a new password, and erasure. Each change waits for the server's answer before the
// page says it happened; a message stays only while it is true (typing clears an old error), and Escape
// closes the erasure dialog.

import { request } from "./api.js";
import { filmName } from "./cards.js";
import { element } from "./dom.js";
import * as notice from "./notice.js";
import * as session from "./session.js";

const section = document.getElementById("me");
const link = document.getElementById("me-link");
const summary = document.getElementById("me-summary");
const chosen = document.getElementById("me-chosen");
const rows = document.getElementById("my-votes-rows");
const pageLabel = document.getElementById("my-votes-page");
const newer = document.getElementById("my-votes-previous");
const older = document.getElementById("my-votes-next");
const exportButton = document.getElementById("export");
const exportStatus = document.getElementById("export-status");
const passwordForm = document.getElementById("password-form");
const currentPassword = document.getElementById("current-password");
const newPassword = document.getElementById("new-password");
const passwordStatus = document.getElementById("password-status");
const deleteForm = document.getElementById("delete-form");
const deletePassword = document.getElementById("delete-password");
const deleteConfirm = document.getElementById("delete-confirm");
const deleteStatus = document.getElementById("delete-status");
const pageSize = 10;

let current = null;
let offset = 0;

function say(node, text, failed = false) {
  node.textContent = text;
  node.className = failed ? "error" : "";
}

/** One side of a vote: whose four, its films, and whether it was the one chosen. */
function side(owner, id, films, chosen) {
  const name = owner ? `${owner}’s four` : `set ${id.slice(0, 8)}`;
  const heading = element("span", { class: "title" }, name);
  if (chosen) heading.append(element("span", { class: "badge" }, "you chose"));
  const list = element("ul", { class: "set-films" }, ...films.map((film) => element("li", {}, ...filmName(film))));
  return element("div", { class: chosen ? "side chosen" : "side" }, heading, list);
}

/** Shows the account of `newSession`'s user, or hides the section when signed out. */
export function show(newSession) {
  current = newSession;
  offset = 0;
  for (const status of [exportStatus, passwordStatus, deleteStatus]) say(status, "");
  deleteConfirm.hidden = true;
  section.hidden = !current;
  link.hidden = !current;
  if (current) refresh();
}

/** Reloads the summary and the page of votes shown (after votes, say). */
export async function refresh() {
  if (!current) return;
  const token = current.token;
  try {
    const [me, votes] = await Promise.all([
      request("GET", "/api/me", { token }),
      request("GET", `/api/me/votes?offset=${offset}&limit=${pageSize}`, { token }),
    ]);
    if (!current || current.token !== token) return;
    summary.replaceChildren(
      element("dt", {}, "Name"), element("dd", { id: "me-name" }, me.username),
      element("dt", {}, "Member since"), element("dd", {}, new Date(me.memberSince).toLocaleDateString()),
      element("dt", {}, "Votes cast"), element("dd", { id: "me-votes" }, String(me.votes)));
    chosen.textContent = me.mostChosen.length
      ? "The sets you chose most: " + me.mostChosen.map((set) => `${set.letterboxdUser || set.setID.slice(0, 8)} (${set.times}×)`).join(", ")
      : "You have not voted yet.";
    rows.replaceChildren(...votes.items.map((vote) => element("li", { "data-vote": vote.voteID },
      element("time", { datetime: vote.castAt, class: "meta" }, new Date(vote.castAt).toLocaleString()),
      element("div", { class: "vote-pair" },
        side(vote.ownerA, vote.setA, vote.filmsA, vote.winner === "setA"),
        element("span", { class: "versus", "aria-hidden": "true" }, "or"),
        side(vote.ownerB, vote.setB, vote.filmsB, vote.winner === "setB")))));
    const last = Math.min(votes.offset + votes.items.length, votes.total);
    pageLabel.textContent = votes.total ? `${votes.offset + 1}–${last} of ${votes.total}` : "No votes yet";
    newer.disabled = votes.offset === 0;
    older.disabled = last >= votes.total;
  } catch (error) {
    if (error.status === 401) session.ended();
    else notice.show(error, refresh);
  }
}

newer.addEventListener("click", () => { offset = Math.max(0, offset - pageSize); refresh(); });
older.addEventListener("click", () => { offset += pageSize; refresh(); });

exportButton.addEventListener("click", async () => {
  exportButton.disabled = true;
  say(exportStatus, "Preparing your data…");
  try {
    const data = await request("GET", "/api/me/export", { token: current.token });
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const anchor = element("a", { href: url, download: `moviemash-${data.account.username}.json` });
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    say(exportStatus, `Downloaded: your account, ${data.votes.length} vote${data.votes.length === 1 ? "" : "s"} and ${data.recommendations.length} recommendations.`);
  } catch (error) {
    say(exportStatus, error.message, true);
  } finally {
    exportButton.disabled = false;
  }
});

passwordForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!passwordForm.reportValidity()) return;
  const button = document.getElementById("change-password");
  button.disabled = true;
  say(passwordStatus, "Changing your password…");
  try {
    const { token, expiresAt } = await request("PUT", "/api/me/password", {
      token: current.token, body: { currentPassword: currentPassword.value, newPassword: newPassword.value },
    });
    currentPassword.value = "";
    newPassword.value = "";
    session.renewed(token, expiresAt);
    say(passwordStatus, "Password changed. Every other device was signed out.");
  } catch (error) {
    say(passwordStatus, error.message, true);
  } finally {
    button.disabled = false;
  }
});

// An old answer (a refused password, say) stops being true once the person types again.
for (const [form, status] of [[passwordForm, passwordStatus], [deleteForm, deleteStatus]]) {
  form.addEventListener("input", () => { if (status.className === "error") say(status, ""); });
}

function closeConfirm() {
  deleteConfirm.hidden = true;
  deletePassword.focus();
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !deleteConfirm.hidden) {
    event.preventDefault();
    closeConfirm();
  }
});

deleteForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!deleteForm.reportValidity()) return;
  say(deleteStatus, "");
  deleteConfirm.hidden = false;
  document.getElementById("delete-cancel").focus();
});
document.getElementById("delete-cancel").addEventListener("click", closeConfirm);
document.getElementById("delete-confirmed").addEventListener("click", async () => {
  deleteConfirm.hidden = true;
  say(deleteStatus, "Deleting your account…");
  try {
    await request("DELETE", "/api/me", { token: current.token, body: { password: deletePassword.value } });
    deletePassword.value = "";
    session.ended("Your account was deleted. Your name and password are gone; your votes stay in the ratings, tied to no one.");
  } catch (error) {
    say(deleteStatus, error.message, true);
    deletePassword.focus();
  }
});
