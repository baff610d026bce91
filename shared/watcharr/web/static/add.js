// The add box: links found in pasted text go to the API as one job, followed live to its end.

import { call } from "./api.js";
import { el, linkOrText } from "./dom.js";
import { failed, reload } from "./list.js";

const POLL_MS = 700;
// A job just accepted may not be visible for a moment; after this long a 404 is an answer.
const APPEAR_MS = 15000;
const MAX_LINKS = 500;
const LINK = /https?:\/\/[^\s<>"'`]+/gi;

const $ = (id) => document.getElementById(id);

/** The http(s) links in pasted text, in order, each once, without trailing punctuation. */
export function linksIn(text) {
  const seen = new Set();
  for (const found of text.match(LINK) || []) seen.add(found.replace(/[),.;:!?\]]+$/, ""));
  return [...seen];
}

function itemRow(label, href, state, reason) {
  return el("li", { class: `item item-${state}` },
    el("span", { class: "item-state", text: state }),
    linkOrText(label, href, { class: "item-title" }),
    reason ? el("span", { class: "item-reason", text: reason }) : null);
}

/** A panel that follows one job: progress bar, counts, each item's state and reason. */
export function followJob(jobId, refused = [], heading = "Adding") {
  const bar = el("progress", { max: 1, value: 0, "aria-label": `${heading}: progress` });
  const counts = el("p", { class: "counts", role: "status", text: "Queued…" });
  const items = el("ul", { class: "items" });
  const close = el("button", { type: "button", class: "close", text: "Close", "aria-label": "Close this job" });
  const panel = el("section", { class: "job", "data-job": jobId || "", "aria-label": heading },
    el("h2", { text: heading }), bar, counts, items, close);
  close.addEventListener("click", () => panel.remove());
  $("jobs").prepend(panel);
  const refusedRows = refused.map((r) => itemRow(r.url, r.url, "refused", r.reason));
  let added = 0;
  const began = Date.now();

  const draw = (job) => {
    const total = job.total + refused.length;
    const done = job.done + refused.length;
    bar.max = Math.max(total, 1);
    bar.value = done;
    const by = job.totals || {};
    const parts = [`${done} of ${total} done`];
    for (const name of ["added", "restored", "failed"]) if (by[name]) parts.push(`${by[name]} ${name}`);
    if (refused.length) parts.push(`${refused.length} refused`);
    counts.textContent = parts.join(" · ");
    items.replaceChildren(...refusedRows, ...(job.items || []).map((item) =>
      itemRow(item.title || item.url, item.url, item.state, item.reason)));
    const landed = (by.added || 0) + (by.restored || 0);
    if (landed > added) {
      added = landed;
      reload();
    }
    panel.dataset.status = job.status;
  };

  if (!jobId) {
    draw({ total: 0, done: 0, totals: {}, items: [], status: "done" });
    return panel;
  }
  const poll = async () => {
    try {
      const { data } = await call("GET", `/api/jobs/${jobId}`);
      draw(data);
      if (data.status === "done") return;
    } catch (error) {
      if (error.status === 401) return failed(error);
      if (!(error.status === 404 && Date.now() - began < APPEAR_MS)) {
        counts.textContent = error.message;
        if (error.status === 404) return;
      }
    }
    setTimeout(poll, POLL_MS);
  };
  poll();
  return panel;
}

async function submit(event) {
  event.preventDefault();
  const text = $("add-text").value.trim();
  const tag = $("add-tag").value.trim() || undefined;
  const shown = $("add-message");
  shown.textContent = "";
  if (!text) {
    shown.textContent = "Paste one link or many first.";
    return;
  }
  // Pasted text without an http(s) link goes as it is: the API finds links in share text itself.
  const links = linksIn(text);
  const entries = (links.length ? links : [text]).slice(0, MAX_LINKS).map((url) => ({ url, tag }));
  if (links.length > MAX_LINKS) shown.textContent = `Only the first ${MAX_LINKS} links are added.`;
  try {
    const { data } = await call("POST", "/api/shortcuts/add-videos", entries);
    const refused = (data.results || []).filter((r) => r.status === "NOK");
    followJob(data.jobId, refused, `Adding ${entries.length} link${entries.length === 1 ? "" : "s"}`);
    $("add-text").value = "";
  } catch (error) {
    failed(error, (message) => { shown.textContent = message; });
  }
}

/** Wires the add box. */
export function setUpAdd() {
  $("add-form").addEventListener("submit", submit);
}
