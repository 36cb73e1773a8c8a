// "Recommended for you": films, each with why it is there (for a personal pick, the films of sets you
// chose that it resembles), and a plain empty state for a new voter.

import { request } from "./api.js";
import { filmName } from "./cards.js";
import { element } from "./dom.js";
import * as notice from "./notice.js";

const note = document.getElementById("recommendations-note");
const list = document.getElementById("recommendation-list");
const coldStart = {
  topRated: "Among the best rated by all voters",
  popular: "Often among people’s four favourites",
};

/** Loads recommendations for `session`'s user (none when signed out). After votes, `retries` more loads
 *  follow a second apart while none is personal yet: the recommender may not have seen the votes. */
export async function refresh(session, retries = 0) {
  if (!session) {
    note.textContent = "Sign in and vote to get films picked for you.";
    list.replaceChildren();
    return;
  }
  let items;
  try {
    ({ items } = await request("GET", "/api/recommendations?limit=8", { token: session.token }));
  } catch (error) {
    notice.show(error, () => refresh(session));
    return;
  }
  const personal = items.some((item) => item.reason === "personalized");
  if (!personal && retries > 0) setTimeout(() => refresh(session, retries - 1), 1000);
  note.textContent = personal
    ? "Picked from the sets you preferred: each says which of your choices led to it."
    : "We do not know your taste yet: vote on a few pairs and this list becomes yours. Until then, films everyone likes:";
  list.replaceChildren(...items.map((item) => element("li", { "data-reason": item.reason },
    ...filmName(item.film), element("span", { class: "meta why" }, why(item)))));
}

/** "Because you chose ada_noir’s four, with Fargo and Heat", or the cold-start reason. */
function why(item) {
  if (item.reason !== "personalized") return coldStart[item.reason] || item.reason;
  const sources = item.because || [];
  if (!sources.length) return "Voters whose choices resemble yours favour it";
  const owners = [...new Set(sources.map((source) => source.owner).filter(Boolean))];
  const films = sources.map((source) => source.film.title || source.film.id);
  const chose = owners.length ? `you chose ${owners.map((owner) => `${owner}’s four`).join(" and ")}` : "of sets you chose";
  return `Because ${chose}, with ${films.join(" and ")}`;
}
