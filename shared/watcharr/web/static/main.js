// The page's entry: sign-in, the three sections, sign-out.

import { call, token } from "./api.js";
import { setUpAdd } from "./add.js";
import { reload, setUpList } from "./list.js";
import { loadPodcasts, setUpPodcasts } from "./podcasts.js";
import { clearChannels, loadChannels, setUpChannels } from "./channels.js";

const $ = (id) => document.getElementById(id);
let podcastsReady = false;
let channelsReady = false;

function showTab(name) {
  for (const button of document.querySelectorAll("#tabs [data-tab]")) {
    if (button.dataset.tab === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  $("list-view").hidden = name !== "list";
  $("podcasts-view").hidden = name !== "podcasts";
  $("channels-view").hidden = name !== "channels";
  if (name === "podcasts") {
    if (!podcastsReady) {
      podcastsReady = true;
      setUpPodcasts();
    }
    loadPodcasts();
  }
  if (name === "channels") {
    if (!channelsReady) {
      channelsReady = true;
      setUpChannels();
    }
    loadChannels();
  }
}

function signedIn() {
  $("sign-in").hidden = true;
  $("tabs").hidden = false;
  showTab("list");
  reload();
}

function signedOut(message = "") {
  token.forget();
  $("tabs").hidden = true;
  $("list-view").hidden = true;
  $("podcasts-view").hidden = true;
  $("channels-view").hidden = true;
  $("episodes").replaceChildren();
  $("jobs").replaceChildren();
  $("podcasts").replaceChildren();
  clearChannels();
  $("sign-in").hidden = false;
  $("sign-in-message").textContent = message;
  $("token").value = "";
  $("token").focus();
}

async function signIn(event) {
  event.preventDefault();
  const pasted = $("token").value.trim();
  const shown = $("sign-in-message");
  if (!/^[0-9a-fA-F]{64}$/.test(pasted)) {
    shown.textContent = "A token is 64 hex characters (0-9, a-f); check what was pasted.";
    return;
  }
  token.set(pasted.toLowerCase());
  try {
    await call("GET", "/api/episodes?limit=1");
  } catch (error) {
    token.forget();
    shown.textContent = error.status === 401
      ? "That token was not accepted. Check it (watcharr token prints yours) and paste it again."
      : `Could not sign in: ${error.message}`;
    return;
  }
  shown.textContent = "";
  $("token").value = "";
  signedIn();
}

setUpList(signedOut);
setUpAdd();
$("sign-in-form").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", () => signedOut("Signed out; the token is forgotten in this browser."));
for (const button of document.querySelectorAll("#tabs [data-tab]")) {
  button.addEventListener("click", () => showTab(button.dataset.tab));
}
if (token.get()) signedIn();
else signedOut();
