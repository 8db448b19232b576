// The typed API client (generated types in schema.d.ts) with the session's CSRF token on writes.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Me = Schemas["Me"];

export const CSRF_COOKIE = "fairview_csrf";

export function readCookie(name: string, cookies = document.cookie): string | null {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (!["GET", "HEAD", "OPTIONS"].includes(request.method)) {
      const token = readCookie(CSRF_COOKIE);
      if (token) request.headers.set("x-csrf-token", token);
    }
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrf);

export interface ApiError {
  error: string;
  detail: string;
  fields?: { key: string; message: string }[] | null;
}

/** A person-readable message for a failed call. */
export function describeError(error: unknown, fallback: string): string {
  if (error && typeof error === "object" && "detail" in error) {
    const e = error as ApiError;
    if (e.fields?.length) return e.fields.map((f) => `${f.key}: ${f.message}`).join("; ");
    return e.detail || fallback;
  }
  return fallback;
}

/** Make sure a CSRF cookie exists before the first write (a safe request sets it). */
export async function ensureCsrf(): Promise<void> {
  if (!readCookie(CSRF_COOKIE)) await fetch("/api/v1/auth/me", { credentials: "same-origin" });
}
