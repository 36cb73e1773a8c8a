// Building elements from data with text nodes only (never HTML strings): names and titles come from
// users and scraped pages.

/** A new `tag` element with `attributes` and `children` (strings become text). */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}
