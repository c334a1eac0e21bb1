// The dashboard's calls to its server. Every call is same-origin and carries the session
// cookie the browser holds (HttpOnly: this code never sees it); state-changing calls add
// the CSRF token, kept in memory only. Nothing is stored in localStorage, sessionStorage or
// a URL.

export type SessionKind = "customer" | "operator";

export interface Session {
  kind: SessionKind;
  key_id: string | null;
  name: string | null;
  csrf_token: string;
  expires_at: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

export interface Answer<T> {
  data: T;
  headers: Headers;
}

let csrfToken = "";
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

// Called when the server says the session is gone (401 on a dashboard call).
export function setSignedOutHandler(handler: () => void): void {
  onSignedOut = handler;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "The server cannot be reached.");
  }
  const text = await response.text();
  let envelope: { code?: number; message?: string; data?: T } | null = null;
  try {
    envelope = JSON.parse(text);
  } catch {
    envelope = null;
  }
  if (!response.ok || envelope === null || envelope.code !== 0) {
    const retry = response.headers.get("Retry-After");
    const message = envelope?.message ?? `${response.status} ${response.statusText}`;
    if (response.status === 401 && path.startsWith("/dashboard/api/") && path !== SESSION) {
      onSignedOut();
    }
    throw new ApiError(response.status, message, retry === null ? null : Number(retry));
  }
  return { data: envelope.data as T, headers: response.headers };
}

const SESSION = "/dashboard/api/session";

export async function currentSession(): Promise<Session | null> {
  try {
    const { data } = await call<Session>("GET", SESSION);
    setCsrfToken(data.csrf_token);
    return data;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function signIn(kind: SessionKind, secret: string): Promise<Session> {
  const { data } = await call<Session>("POST", SESSION, { kind, secret });
  setCsrfToken(data.csrf_token);
  return data;
}

export async function signOut(): Promise<void> {
  try {
    await call("DELETE", SESSION);
  } finally {
    setCsrfToken("");
  }
}

// The paid and keyed customer API, called with the session's key by the server.
export function customerGet<T>(path: string, query: Record<string, string> = {}) {
  const q = new URLSearchParams(query).toString();
  return call<T>("GET", `/dashboard/api${path}${q ? `?${q}` : ""}`);
}

// The admin API (/admin/v1/...), called with the admin token by the server.
export function adminCall<T>(method: string, path: string, body?: unknown) {
  return call<T>(method, `/dashboard/api/admin/${path}`, body);
}

export function creditsRemaining(headers: Headers): number | null {
  const v = headers.get("X-Credits-Remaining");
  return v === null ? null : Number(v);
}
