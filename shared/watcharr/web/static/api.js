// The API as the page uses it: the token from localStorage, sent only as X-API-Token.

const TOKEN_KEY = "watcharr.token";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const token = {
  get: () => localStorage.getItem(TOKEN_KEY),
  set: (value) => localStorage.setItem(TOKEN_KEY, value),
  forget: () => localStorage.removeItem(TOKEN_KEY),
};

/** Words for an answer that is not a success: the API's own `error` when it gives one. */
function reasonOf(status, body) {
  if (body && typeof body.error === "string" && body.error) return body.error;
  if (body && typeof body.message === "string" && body.message) return body.message;
  if (status === 401) return "the token was not accepted";
  if (status >= 500) return "the list is not reachable right now; try again shortly";
  return `the server answered ${status}`;
}

/** One call; resolves with the JSON body (and its status), rejects with an ApiError. */
export async function call(method, path, body, { auth = true } = {}) {
  const headers = { Accept: "application/json" };
  if (auth) headers["X-API-Token"] = token.get() || "";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, "the server cannot be reached");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, reasonOf(response.status, data));
  return { status: response.status, data: data || {} };
}

/** A path with its query, leaving out empty values. */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
