// Problems the page cannot solve by itself: said in plain words, with a way to try again. Never silent.

const box = document.getElementById("notice");
const text = document.getElementById("notice-text");
const retryButton = document.getElementById("notice-retry");
const dismissButton = document.getElementById("notice-dismiss");
let retryAction = null;
let timer = null;

retryButton.addEventListener("click", () => {
  const action = retryAction;
  hide();
  if (action) action();
});
dismissButton.addEventListener("click", hide);

/** Shows `error.message`; "Try again" runs `retry` (after the server's Retry-After, when it gave one). */
export function show(error, retry) {
  clearTimeout(timer);
  text.textContent = error.message;
  retryAction = retry || null;
  retryButton.hidden = !retry;
  box.hidden = false;
  const wait = error.retryAfter || 0;
  if (retry && wait > 0) {
    retryButton.disabled = true;
    let left = wait;
    retryButton.textContent = `Try again (${left})`;
    const tick = () => {
      left -= 1;
      if (left > 0) {
        retryButton.textContent = `Try again (${left})`;
        timer = setTimeout(tick, 1000);
      } else {
        retryButton.textContent = "Try again";
        retryButton.disabled = false;
      }
    };
    timer = setTimeout(tick, 1000);
  } else {
    retryButton.disabled = false;
    retryButton.textContent = "Try again";
  }
}

export function hide() {
  clearTimeout(timer);
  box.hidden = true;
  retryAction = null;
}
