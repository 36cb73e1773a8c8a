// The landing page's example pair: what the game looks like before an account exists. Read-only: the
// preview carries no ticket, and its cards have no buttons.

import { request } from "./api.js";
import { renderSet } from "./cards.js";

const preview = document.getElementById("preview");
const cards = [document.getElementById("preview-a"), document.getElementById("preview-b")];
const another = document.getElementById("preview-another");

let wanted = false;
/** The set ids of the pair shown, so the next one differs. */
let showing = "";

another.addEventListener("click", () => load());

/** Shows an example pair while signed out (`signedIn` false); hides it otherwise. */
export function show(signedIn) {
  wanted = !signedIn;
  preview.hidden = true;
  if (wanted) load();
}

async function load() {
  let pair;
  try {
    pair = await request("GET", `/api/comparisons/preview${showing ? `?excluding=${showing}` : ""}`);
  } catch {
    // The example is a courtesy: without it the page still explains the game and offers an account.
    preview.hidden = true;
    return;
  }
  if (!wanted) return;
  showing = `${pair.setA.id},${pair.setB.id}`;
  renderSet(cards[0], pair.setA);
  renderSet(cards[1], pair.setB);
  preview.hidden = false;
}
