// "Recommended for you": films with the reason each is there, and a plain empty state for a new voter.

import { request } from "./api.js";
import { element } from "./dom.js";
import * as notice from "./notice.js";

const note = document.getElementById("recommendations-note");
const list = document.getElementById("recommendation-list");
const reasons = {
  personalized: "Voters whose choices resemble yours favour it",
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
    ? "Picked from the sets you preferred."
    : "We do not know your taste yet: vote on a few pairs and this list becomes yours. Until then, films everyone likes:";
  list.replaceChildren(...items.map((item) => {
    const film = item.film;
    return element("li", { "data-reason": item.reason },
      element("span", { class: "title" }, film.title || film.id),
      film.year ? ` (${film.year})` : "",
      element("span", { class: "meta" }, reasons[item.reason] || item.reason));
  }));
}
