// "Sync now" on the local stack: the Podcasts and Channels tabs each offer it.

import { call } from "./api.js";
import { toast } from "./dom.js";

/** Runs the scheduled sync at once; true when it started. */
async function syncAtOnce() {
  try {
    const { data } = await call("POST", "/_local/sync", undefined, { auth: false });
    const queued = data.PodcastSyncFunction?.feedsQueued;
    toast(typeof queued === "number" ? `Sync started: ${queued} feed${queued === 1 ? "" : "s"}.` : "Sync started.");
    return true;
  } catch (error) {
    toast(`Sync did not start: ${error.message}`);
    return false;
  }
}

/** Shows `button` only where the local stack's admin route answers; a click syncs, then `afterwards()`. */
export async function offerSyncNow(button, afterwards) {
  button.addEventListener("click", async () => {
    if (await syncAtOnce()) afterwards();
  });
  try {
    const { data } = await call("GET", "/_local/health", undefined, { auth: false });
    button.hidden = data.status !== "ok";
  } catch {
    button.hidden = true;
  }
}
