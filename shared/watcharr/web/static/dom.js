// Building the page from API data: every text goes in as textContent, never as HTML.

/** An element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** The address when it is http(s), else null: javascript:, data: and the like are never shown. */
export function webUrl(value) {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A link when the address is http(s); otherwise the text alone. */
export function linkOrText(text, href, attrs = {}) {
  const safe = webUrl(href);
  if (!safe) return el("span", { text, ...attrs });
  return el("a", { href: safe, text, rel: "noopener noreferrer", target: "_blank", ...attrs });
}

/** 3725 → "1:02:05", 63 → "1:03". */
export function duration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) return "";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** A short local date and time, or "" for a missing one. */
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

let toastTimer = 0;

/** A short message at the bottom, with an optional action button (undo). */
export function toast(message, action) {
  const box = document.getElementById("toast");
  box.replaceChildren(el("span", { text: message }));
  if (action) {
    box.append(el("button", { type: "button", text: action.label, onclick: () => { box.hidden = true; action.run(); } }));
  }
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, action ? 10000 : 4000);
}
