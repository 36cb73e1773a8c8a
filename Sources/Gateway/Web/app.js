// Wires the page together: the account area, the sign-in form, and refreshes after counted votes.

import * as me from "./account.js";
import * as compare from "./compare.js";
import { element } from "./dom.js";
import * as leaderboard from "./leaderboard.js";
import * as letterboxd from "./letterboxd.js";
import * as notice from "./notice.js";
import * as recommendations from "./recommendations.js";
import * as session from "./session.js";

const account = document.getElementById("account");
const form = document.getElementById("auth-form");
const username = document.getElementById("username");
const password = document.getElementById("password");
const registerButton = document.getElementById("register");
const authError = document.getElementById("auth-error");
const authMessage = document.getElementById("auth-message");

async function authenticate(action) {
  authError.hidden = true;
  authMessage.hidden = true;
  if (!form.reportValidity()) return;
  for (const button of form.querySelectorAll("button")) button.disabled = true;
  try {
    await action(username.value, password.value);
    password.value = "";
  } catch (error) {
    authError.textContent = error.message;
    authError.hidden = false;
  } finally {
    for (const button of form.querySelectorAll("button")) button.disabled = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  authenticate(session.signIn);
});
registerButton.addEventListener("click", () => authenticate(session.register));

session.onChange((current, message) => {
  notice.hide();
  form.hidden = Boolean(current);
  authMessage.textContent = message;
  authMessage.hidden = !message;
  if (current) {
    const signOut = element("button", { type: "button", class: "quiet" }, "Sign out");
    signOut.addEventListener("click", session.signOut);
    account.replaceChildren(element("span", {}, "Signed in as ", element("strong", {}, current.username)), signOut);
  } else {
    account.replaceChildren();
  }
  compare.start(current);
  recommendations.refresh(current);
  me.show(current);
  letterboxd.show(current);
});

// Counted votes move the tallies at once and the ratings at the next fit: refresh shortly after a burst.
let pending = null;
compare.onVoteCounted(() => {
  clearTimeout(pending);
  pending = setTimeout(() => {
    leaderboard.refresh();
    recommendations.refresh(session.current(), 5);
    me.refresh();
  }, 300);
});

leaderboard.refresh();
