// A set as a card (the pair to vote on and the landing page's example pair): the owner, linked to their
// Letterboxd profile when the set came from Letterboxd, and four films with poster, year, director and
// genres where the catalogue has them. Nothing in a card votes: only the buttons the caller adds do.

import { element } from "./dom.js";

/** "The Godfather (1972)", linked to its Letterboxd page when it has one. */
export function filmName(film) {
  const title = film.title || film.id;
  const name = film.letterboxdURL
    ? element("a", { href: film.letterboxdURL, class: "title", rel: "noopener", target: "_blank" }, title)
    : element("span", { class: "title" }, title);
  return film.year ? [name, " ", element("span", { class: "year" }, `(${film.year})`)] : [name];
}

/** The owner's name, linked to their Letterboxd profile when the set came from Letterboxd. */
export function ownerName(set) {
  return set.ownerURL
    ? element("a", { href: set.ownerURL, rel: "noopener", target: "_blank" }, set.owner)
    : element("span", {}, set.owner);
}

/** Fills `card` with `set`: heading (id `${card.id}-owner`), films, and `after` (a button, say). */
export function renderSet(card, set, { mine = false, after = [] } = {}) {
  const list = element("ol", { class: "films" });
  for (const film of set.films) {
    const item = element("li", {});
    if (film.poster) {
      item.append(element("img", { class: "poster", src: film.poster, alt: "", width: "46", height: "69", loading: "lazy" }));
    }
    const text = element("div", { class: "film-text" }, ...filmName(film));
    if (film.directors.length) text.append(element("span", { class: "meta" }, `Directed by ${film.directors.join(", ")}`));
    if (film.genres.length) text.append(element("span", { class: "meta" }, film.genres.join(" · ")));
    item.append(text);
    list.append(item);
  }
  const heading = element("h3", { id: `${card.id}-owner` }, ownerName(set), "’s four");
  if (mine) heading.append(element("span", { class: "badge" }, "your four"));
  card.classList.toggle("own", mine);
  card.replaceChildren(heading, list, ...after);
}
