// Podcasts: subscribe, the subscriptions with their last sync, unsubscribe, and "sync now" locally.

import { call } from "./api.js";
import { offerSyncNow } from "./sync.js";
import { el, linkOrText, toast, when } from "./dom.js";
import { followJob } from "./add.js";
import { failed, reload } from "./list.js";

const $ = (id) => document.getElementById(id);
const FOLLOW_MS = 1500;
const FOLLOW_ROUNDS = 20;

function say(text) {
  $("podcast-message").textContent = text;
}

function row(podcast) {
  const status = podcast.lastStatus || (podcast.lastSyncAt ? "ok" : "not synced yet");
  return el("li", { class: "podcast", "data-id": podcast.id },
    el("h3", {}, linkOrText(podcast.title || podcast.feedUrl, podcast.feedUrl, { class: "title" })),
    el("p", { class: "meta" },
      el("span", { class: `badge sync-${status === "failed" ? "other" : "ok"}`, text: status }),
      el("span", { text: `${podcast.episodeCount} episode${podcast.episodeCount === 1 ? "" : "s"}` }),
      podcast.lastSyncAt ? el("span", { text: `last sync ${when(podcast.lastSyncAt)}` }) : null,
      podcast.tag ? el("span", { class: "tag", text: podcast.tag }) : null),
    podcast.lastError ? el("p", { class: "error", text: podcast.lastError }) : null,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "danger", text: "Unsubscribe", onclick: () => unsubscribe(podcast) })));
}

/** The subscriptions as they are now. */
export async function loadPodcasts() {
  try {
    const { data } = await call("GET", "/api/podcasts");
    const podcasts = data.podcasts || [];
    $("podcasts").replaceChildren(...podcasts.map(row));
    if (!podcasts.length) say("No subscriptions yet.");
    return podcasts;
  } catch (error) {
    failed(error, say);
    return [];
  }
}

async function unsubscribe(podcast) {
  try {
    await call("DELETE", `/api/podcasts/${podcast.id}`);
    toast(`Unsubscribed from “${podcast.title || podcast.feedUrl}”; its episodes stay on the list.`);
    setTimeout(loadPodcasts, FOLLOW_MS);
  } catch (error) {
    failed(error, say);
  }
}

/** Refreshes subscriptions and the list until the first sync of `id` has happened (or a while passed). */
function followSync(id, rounds = FOLLOW_ROUNDS) {
  setTimeout(async () => {
    const podcasts = await loadPodcasts();
    const mine = podcasts.find((p) => p.id === id);
    if (mine && (mine.lastSyncAt || mine.lastError)) {
      say(mine.lastError ? `Synced with an error: ${mine.lastError}` : `Subscribed: ${mine.episodeCount} episodes.`);
      reload();
    } else if (rounds > 1) {
      followSync(id, rounds - 1);
    }
  }, FOLLOW_MS);
}

async function subscribe(event) {
  event.preventDefault();
  const feedUrl = $("feed-url").value.trim();
  const chosen = $("backfill").value;
  const backfill = chosen === "all" ? "all" : Number(chosen);
  say("");
  try {
    const { data } = await call("POST", "/api/podcasts", { feedUrl, backfill });
    say(`Subscribed to ${data.feedUrl}; the first sync is on its way.`);
    $("feed-url").value = "";
    if (data.jobId) followJob(data.jobId, [], "Podcast episodes");
    followSync(data.subscriptionId);
  } catch (error) {
    failed(error, say);
  }
}

/** After "sync now": follows every podcast's sync to its end. */
async function followEvery() {
  for (const podcast of (await loadPodcasts()) || []) followSync(podcast.id, 5);
}

/** Wires the podcast forms, and "sync now" where the local stack runs. */
export async function setUpPodcasts() {
  $("subscribe-form").addEventListener("submit", subscribe);
  await offerSyncNow($("sync-now"), followEvery);
}
