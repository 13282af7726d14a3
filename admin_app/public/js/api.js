// The admin API, as any integrator calls it: bearer token, JSON, the API's own error messages.
import { accessToken, refresh } from "./auth.js";

let base = "";

export function configure(config) {
  base = config.apiUrl;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `the API answered ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

export async function api(method, path, body, { key } = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = { authorization: `Bearer ${accessToken()}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (key) headers["idempotency-key"] = key;
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      // A read revalidates its last answer by ETag: an unchanged list comes back as 304, no body.
      cache: method === "GET" ? "no-cache" : "no-store",
    });
    if (response.status === 401 && attempt === 0) {
      await refresh(); // an expired access token: once more with a fresh one
      continue;
    }
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed;
  }
}

// A key for one action the user confirmed: sent again (a retry, a double click) it acts once.
export function actionKey(prefix) {
  return `${prefix}-${crypto.randomUUID().slice(0, 18)}`;
}
