// Wires the page together: the account area, the landing page's example pair and sign-in form, and
// refreshes after counted votes. Focus follows the person: to the first pair after signing in, to the
// message after signing out or deleting the account.

import * as me from "./account.js";
import * as compare from "./compare.js";
import { element } from "./dom.js";
import * as leaderboard from "./leaderboard.js";
import * as letterboxd from "./letterboxd.js";
import * as notice from "./notice.js";
import * as preview from "./preview.js";
import * as recommendations from "./recommendations.js";
import * as session from "./session.js";

const account = document.getElementById("account");
const form = document.getElementById("auth-form");
const username = document.getElementById("username");
const password = document.getElementById("password");
const registerButton = document.getElementById("register");
const authError = document.getElementById("auth-error");
const authMessage = document.getElementById("auth-message");
/** Set while the person's own sign-in or registration is being answered: the first pair then takes the focus. */
let signingIn = false;

async function authenticate(action) {
  authError.hidden = true;
  authMessage.hidden = true;
  if (!form.reportValidity()) return;
  for (const button of form.querySelectorAll("button")) button.disabled = true;
  signingIn = true;
  try {
    await action(username.value, password.value);
    password.value = "";
  } catch (error) {
    authError.textContent = error.message;
    authError.hidden = false;
  } finally {
    signingIn = false;
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
  preview.show(Boolean(current));
  compare.start(current, { focus: Boolean(current) && signingIn });
  if (!current && message) {
    // Signed out from wherever the person was (the account section, say): the message comes to them.
    authMessage.scrollIntoView({ block: "center" });
    authMessage.focus({ preventScroll: true });
  }
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
