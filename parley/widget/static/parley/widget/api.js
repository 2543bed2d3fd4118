// The widget's JSON API (/api/v1/widget/<slug>/...). Errors arrive as {message, extra}; we show `message`.
import { t } from "./dom.js";

export class ApiError extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

export function apiClient(base) {
  return async function request(method, path, { token, json, form, blob } = {}) {
    const headers = { Accept: blob ? "*/*" : "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form) {
      body = form;
    }
    let response;
    try {
      // No cookies: the visitor is known by the token alone.
      response = await fetch(base + path, { method, headers, body, credentials: "omit", cache: "no-store" });
    } catch {
      throw new ApiError(0, t("networkError"));
    }
    if (!response.ok) {
      let data = {};
      try {
        data = await response.json();
      } catch {
        // a proxy's HTML error page
      }
      throw new ApiError(response.status, data.message || t("failed", { status: response.status }), data.extra || {});
    }
    if (response.status === 204) return null;
    return blob ? response.blob() : response.json();
  };
}
