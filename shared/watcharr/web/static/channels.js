// Channels: follow a YouTube channel or playlist, the followed ones with their last sync, unfollow, "sync now" locally.

import { call } from "./api.js";
import { offerSyncNow } from "./sync.js";
import { el, linkOrText, toast, when } from "./dom.js";
import { failed, reload } from "./list.js";

const $ = (id) => document.getElementById(id);
const FOLLOW_MS = 1500;
const FOLLOW_ROUNDS = 20;
// Unfollowed on this page, still listed until the writer has removed them.
const leaving = new Set();
let loads = 0;

function say(text) {
  $("channel-message").textContent = text;
}

const episodes = (count) => `${count} episode${count === 1 ? "" : "s"}`;
const nameOf = (channel) => channel.title || channel.feedUrl;

/** The channel's or playlist's page on YouTube for its feed; the followed link itself otherwise. */
function pageOf(feedUrl) {
  try {
    const url = new URL(feedUrl);
    const channel = url.searchParams.get("channel_id");
    const playlist = url.searchParams.get("playlist_id");
    if (url.pathname === "/feeds/videos.xml" && channel) return `https://www.youtube.com/channel/${encodeURIComponent(channel)}`;
    if (url.pathname === "/feeds/videos.xml" && playlist) return `https://www.youtube.com/playlist?list=${encodeURIComponent(playlist)}`;
  } catch {
    // Not an address: the title is shown as text.
  }
  return feedUrl;
}

function row(channel) {
  const status = channel.lastStatus || (channel.lastSyncAt ? "ok" : "not synced yet");
  const going = leaving.has(channel.id);
  return el("li", { class: "channel", "data-id": channel.id },
    el("h3", {}, linkOrText(nameOf(channel), pageOf(channel.feedUrl), { class: "title" })),
    el("p", { class: "meta" },
      el("span", { class: `badge sync-${status === "failed" ? "other" : "ok"}`, text: status }),
      channel.kind === "youtube_playlist" ? el("span", { text: "playlist" }) : null,
      el("span", { text: episodes(channel.episodeCount) }),
      channel.lastSyncAt ? el("span", { text: `last sync ${when(channel.lastSyncAt)}` }) : null,
      channel.includeShorts ? null : el("span", { text: "no Shorts" }),
      channel.tag ? el("span", { class: "tag", text: channel.tag }) : null),
    channel.lastError ? el("p", { class: "error", text: channel.lastError }) : null,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "danger", text: going ? "Unfollowing…" : "Unfollow", disabled: going,
        onclick: () => unfollow(channel) })));
}

/** The followed channels and playlists as they are now. */
export async function loadChannels() {
  loads += 1;
  const mine = loads;
  try {
    const { data } = await call("GET", "/api/channels");
    const channels = data.channels || [];
    if (mine === loads) {
      $("channels").replaceChildren(...channels.map(row));
      if (!channels.length) say("No channels followed yet.");
    }
    return channels;
  } catch (error) {
    failed(error, say);
    return null;
  }
}

/** Refreshes the channels until `channel` is no longer listed (or a while passed). */
function followGone(channel, rounds = FOLLOW_ROUNDS) {
  setTimeout(async () => {
    const channels = await loadChannels();
    if (channels && !channels.some((c) => c.id === channel.id)) {
      leaving.delete(channel.id);
      toast(`Unfollowed “${nameOf(channel)}”; its episodes stay on the list.`);
    } else if (rounds > 1) {
      followGone(channel, rounds - 1);
    } else {
      leaving.delete(channel.id);
      say(`“${nameOf(channel)}” is still followed; try again shortly.`);
      loadChannels();
    }
  }, FOLLOW_MS);
}

async function unfollow(channel) {
  try {
    await call("DELETE", `/api/channels/${channel.id}`);
    leaving.add(channel.id);
    const button = $("channels").querySelector(`[data-id="${CSS.escape(channel.id)}"] .actions button`);
    if (button) {
      button.textContent = "Unfollowing…";
      button.disabled = true;
    }
    followGone(channel);
  } catch (error) {
    failed(error, say);
  }
}

/** Refreshes the channels and the list until the first sync of `id` has happened (or a while passed). */
function followSync(id, rounds = FOLLOW_ROUNDS) {
  setTimeout(async () => {
    const channels = (await loadChannels()) || [];
    const mine = channels.find((c) => c.id === id);
    if (mine && (mine.lastSyncAt || mine.lastError)) {
      say(mine.lastError
        ? `Synced with an error: ${mine.lastError}`
        : `Following “${nameOf(mine)}”: ${episodes(mine.episodeCount)}.`);
      reload();
    } else if (rounds > 1) {
      followSync(id, rounds - 1);
    }
  }, FOLLOW_MS);
}

async function follow(event) {
  event.preventDefault();
  const url = $("channel-url").value.trim();
  const tag = $("channel-tag").value.trim();
  const body = { url, backfill: Number($("channel-backfill").value), includeShorts: $("include-shorts").checked };
  if (tag) body.tag = tag;
  say("");
  try {
    const { data } = await call("POST", "/api/channels", body);
    leaving.delete(data.subscriptionId);
    say(`Following ${data.feedUrl}; the first sync is on its way.`);
    $("channel-url").value = "";
    followSync(data.subscriptionId);
  } catch (error) {
    failed(error, say);
  }
}

/** After "sync now": follows every channel's sync to its end. */
async function followEvery() {
  for (const channel of (await loadChannels()) || []) followSync(channel.id, 5);
}

/** Wires the follow form, and "sync now" where the local stack runs. */
export async function setUpChannels() {
  $("follow-form").addEventListener("submit", follow);
  await offerSyncNow($("channel-sync-now"), followEvery);
}

/** Forgets what the page knew (signing out). */
export function clearChannels() {
  leaving.clear();
  $("channels").replaceChildren();
  say("");
}
