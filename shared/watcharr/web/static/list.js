// The list: filters, paging, and every change (watched, favourite, priority, tags, delete, restore).

import { ApiError, call, withQuery } from "./api.js";
import { duration, el, linkOrText, toast, webUrl } from "./dom.js";

const PAGE_SIZE = 24;
// The most GET /api/episodes answers at once.
const MAX_LIMIT = 500;
// A change waits for the one writer to apply it, so the list shown afterwards already has it.
const WAIT = 5;
// A change not applied within WAIT is followed through GET /api/commands/{id} for a while longer.
const FOLLOW_MS = 500;
const FOLLOW_ROUNDS = 30;
const PRIORITIES = ["none", "low", "medium", "high"];
const COLOR = /^#[0-9a-fA-F]{6}$/;

const state = { shown: 0, total: 0, tags: [], loads: 0 };
let onSignedOut = () => {};

const $ = (id) => document.getElementById(id);

function filters() {
  const form = new FormData($("filters"));
  const chosen = {};
  for (const name of ["type", "watched", "tag", "search"]) chosen[name] = (form.get(name) || "").trim();
  if (form.get("favorite")) chosen.favorite = "true";
  if (form.get("deleted")) chosen.deleted = "true";
  return chosen;
}

function tagNames(episode) {
  return (episode.tags || []).map((tag) => tag.name);
}

/** A tag on a card: a button that filters the list by it, edged in the tag's colour when it has one. */
function tagChip(tag) {
  const chip = el("button", {
    type: "button", class: "tag", text: tag.name, title: `Show only “${tag.name}”`,
    onclick: () => {
      $("filters").elements.tag.value = tag.name;
      state.shown = 0;
      reload();
    },
  });
  // Set through the CSSOM: the Content-Security-Policy refuses inline style attributes.
  if (COLOR.test(tag.color || "")) chip.style.borderLeftColor = tag.color;
  return chip;
}

function kind(episode) {
  if (episode.type === "podcast") return "podcast";
  return episode.isShort ? "short" : "video";
}

function message(text) {
  $("list-message").textContent = text;
}

/** Shows an API failure; a refused token means signing in again. */
export function failed(error, where = message) {
  if (error.status === 401) {
    onSignedOut("Your token is no longer accepted; sign in again.");
    return;
  }
  where(error.message);
}

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * What became of a write the API accepted (202): resolves once the writer applied it, throws its
 * reason when the writer refused it, and resolves with false when it was not applied in time.
 */
async function settled(answer) {
  if (answer.status !== 202) return true;
  for (let round = 0; round < FOLLOW_ROUNDS; round += 1) {
    await pause(FOLLOW_MS);
    try {
      const { data } = await call("GET", `/api/commands/${answer.data.commandId}`);
      if (data.state === "failed") throw new ApiError(409, data.reason || "the change could not be applied");
      return true;
    } catch (error) {
      // The writer records a command when it applies it: until then its id is not found.
      if (error.status !== 404) throw error;
    }
  }
  return false;
}

const cardOf = (episode) => $("episodes").querySelector(`[data-id="${episode.id}"]`);

/** A card's controls wait while its change is on the way: no second change on what is about to be redrawn. */
function busy(item, on) {
  if (!item) return;
  item.setAttribute("aria-busy", String(on));
  for (const control of item.querySelectorAll("button, select, input")) control.disabled = on;
}

async function change(episode, method, path, body, done) {
  const item = cardOf(episode);
  const focused = item?.contains(document.activeElement) ? document.activeElement.dataset.control : undefined;
  busy(item, true);
  try {
    const applied = await settled(await call(method, `${path}?wait=${WAIT}`, body));
    if (!applied) toast("Saved; it will show in a moment.");
    else if (done) done();
  } catch (error) {
    failed(error, (text) => toast(`“${episode.title}”: ${text}`));
  }
  // Also after a refusal: the list then shows the episode as it really is (or gone).
  await reload();
  if (item?.isConnected) busy(item, false);
  // Keyboard users keep their place: the same control on the card drawn anew.
  if (focused) cardOf(episode)?.querySelector(`[data-control="${focused}"]`)?.focus();
}

function patch(episode, body, done) {
  return change(episode, "PATCH", `/api/episodes/${episode.id}`, body, done);
}

function remove(episode) {
  change(episode, "DELETE", `/api/episodes/${episode.id}`, undefined, () =>
    toast(`Deleted “${episode.title}”.`, { label: "Undo", run: () => restore(episode) }),
  );
}

function restore(episode) {
  return change(episode, "POST", `/api/episodes/${episode.id}/restore`, undefined, () =>
    toast(`Restored “${episode.title}”.`),
  );
}

const byName = (name) => state.tags.find((tag) => tag.name.toLowerCase() === name.toLowerCase());

/** The ids of the named tags, creating those the user does not have yet. */
async function tagIdsFor(names) {
  const ids = [];
  for (const name of names) {
    let id = byName(name)?.id;
    if (id === undefined) {
      try {
        const answer = await call("POST", `/api/tags?wait=${WAIT}`, { name });
        id = answer.data.tag?.id;
        if (id === undefined) await settled(answer);
      } catch (error) {
        // 409: another device created it meanwhile; its id is in the tags now.
        if (error.status !== 409) throw error;
      }
      if (id === undefined) {
        await loadTags();
        id = byName(name)?.id;
      }
    }
    if (id === undefined) throw new ApiError(0, `the tag “${name}” is not there yet; try again`);
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

async function tagEditor(episode, card) {
  const open = card.querySelector(".tag-editor input");
  if (open) return open.focus();
  await loadTags();
  const input = el("input", {
    type: "text", value: tagNames(episode).join(", "), "aria-label": `Tags of ${episode.title}`,
    list: "tag-names", maxlength: 400,
  });
  const form = el("form", { class: "row tag-editor" }, input,
    el("button", { type: "submit", text: "Save tags" }),
    el("button", { type: "button", text: "Cancel", onclick: () => form.remove() }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const names = input.value.split(",").map((n) => n.trim()).filter(Boolean);
    try {
      await patch(episode, { tagIds: await tagIdsFor(names) });
    } catch (error) {
      failed(error, (text) => toast(text));
    }
  });
  card.append(form);
  input.focus();
}

function card(episode) {
  const item = el("li", { class: "episode", "data-id": episode.id });
  const thumb = webUrl(episode.thumbnailUrl);
  if (thumb) {
    const img = el("img", { src: thumb, alt: "", loading: "lazy", width: 160, height: 90 });
    img.addEventListener("error", () => img.replaceWith(el("div", { class: "thumb-missing" })));
    item.append(img);
  } else {
    item.append(el("div", { class: "thumb-missing" }));
  }
  const type = kind(episode);
  const meta = el("p", { class: "meta" },
    el("span", { class: `badge badge-${type}`, text: type }),
    episode.channel?.name ? linkOrText(episode.channel.name, episode.channel.url, { class: "channel" }) : null,
    duration(episode.duration) ? el("span", { class: "duration", text: duration(episode.duration) }) : null,
    episode.watched ? el("span", { class: "state", text: "watched" }) : null,
  );
  const tags = el("p", { class: "tags" }, ...(episode.tags || []).map(tagChip));
  const priority = el("select", { "aria-label": `Priority of ${episode.title}`, "data-control": "priority" },
    ...PRIORITIES.map((p) => el("option", { value: p, text: `priority: ${p}`, selected: (episode.priority || "none") === p })));
  priority.addEventListener("change", () => patch(episode, { priority: priority.value }));
  const actions = episode.isDeleted
    ? el("div", { class: "actions" }, el("button", { type: "button", text: "Restore", "data-control": "restore", onclick: () => restore(episode) }))
    : el("div", { class: "actions" },
      el("button", {
        type: "button", text: episode.watched ? "Mark unwatched" : "Mark watched", "data-control": "watched",
        onclick: () => patch(episode, { watched: !episode.watched }),
      }),
      el("button", {
        type: "button", text: episode.favorite ? "★ Favourite" : "☆ Favourite", "aria-pressed": String(!!episode.favorite),
        "data-control": "favorite",
        onclick: () => patch(episode, { favorite: !episode.favorite }),
      }),
      priority,
      el("button", { type: "button", text: "Tags", "data-control": "tags", onclick: () => tagEditor(episode, body) }),
      el("button", { type: "button", class: "danger", text: "Delete", "data-control": "delete", onclick: () => remove(episode) }),
    );
  const body = el("div", { class: "body" },
    el("h3", {}, linkOrText(episode.title || episode.url, episode.url, { class: "title" })),
    meta, tags, actions);
  item.append(body);
  return item;
}

async function page(offset, limit) {
  const { data } = await call("GET", withQuery("/api/episodes", { ...filters(), limit, offset }));
  return data;
}

function show(episodes, { append }) {
  const list = $("episodes");
  if (!append) list.replaceChildren();
  list.append(...episodes.map(card));
}

function summarize(count) {
  state.shown = count;
  message(count ? `${count} of ${state.total} shown` : "Nothing here.");
  $("more").hidden = count >= state.total;
}

/** The list is being fetched: "show more" waits, and assistive technology hears it is busy. */
function loading(on) {
  $("episodes").setAttribute("aria-busy", String(on));
  $("more").disabled = on;
}

/** Loads the list again from the start, as many rows as were shown (a change keeps the place). */
export async function reload() {
  // Loads may overlap (a filter typed, a change applied, a job adding); only the newest one is drawn.
  state.loads += 1;
  const mine = state.loads;
  const limit = Math.max(PAGE_SIZE, Math.ceil(state.shown / PAGE_SIZE) * PAGE_SIZE);
  loading(true);
  try {
    const data = await page(0, Math.min(limit, MAX_LIMIT));
    if (mine !== state.loads) return;
    state.total = data.total;
    show(data.episodes, { append: false });
    summarize(data.episodes.length);
  } catch (error) {
    if (mine === state.loads) failed(error);
  } finally {
    if (mine === state.loads) loading(false);
  }
}

async function more() {
  const mine = state.loads;
  loading(true);
  try {
    const data = await page(state.shown, PAGE_SIZE);
    if (mine !== state.loads) return;
    state.total = data.total;
    show(data.episodes, { append: true });
    summarize(state.shown + data.episodes.length);
  } catch (error) {
    if (mine === state.loads) failed(error);
  } finally {
    if (mine === state.loads) loading(false);
  }
}

/** The user's tags for the tag box's suggestions and the tag editor (empty when the API has none). */
export async function loadTags() {
  try {
    const { data } = await call("GET", "/api/tags");
    state.tags = Array.isArray(data.tags) ? data.tags : [];
  } catch (error) {
    if (error.status === 401) return failed(error);
    state.tags = [];
  }
  $("tag-names").replaceChildren(...state.tags.map((tag) => el("option", { value: tag.name })));
}

/** Wires the filters and the "show more" button; `signedOut` is called when the token is refused. */
export function setUpList(signedOut) {
  onSignedOut = signedOut;
  let typing = 0;
  $("filters").addEventListener("input", () => {
    // A load still on the way is for the old filters: it is not drawn, and the list stays busy.
    state.loads += 1;
    loading(true);
    clearTimeout(typing);
    typing = setTimeout(() => { state.shown = 0; reload(); }, 250);
  });
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  // The tags are fetched when first wanted, not on every page load.
  $("filters").elements.tag.addEventListener("focus", loadTags, { once: true });
  $("more").addEventListener("click", more);
}
