// The one API client: generated types (schema.d.ts, from the API's OpenAPI schema) + openapi-fetch.
// Never hand-write a request or response type: import it from here (`Schemas["OverridePublic"]`).
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type { paths };

/** The query parameters of GET `P` (generated). */
export type GetQuery<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;
// Closed sets the API defines (contracts/, lakecast/settings): the UI never re-lists them as free strings.
export type LagChoice = NonNullable<GetQuery<"/kpis">["lag"]>;
export type ModelId = NonNullable<GetQuery<"/kpis">["model_id"]>;
export type SliceDimension = GetQuery<"/accuracy/slice">["by"];
export type Ranking = NonNullable<GetQuery<"/exceptions">["rank_by"]>;
export type AbcClass = NonNullable<GetQuery<"/kpis">["abc_class"]>[number];
export type XyzClass = NonNullable<GetQuery<"/kpis">["xyz_class"]>[number];

const TOKEN_KEY = "lakecast.token";

export const tokenStore = {
  get(): string | null {
    return window.localStorage.getItem(TOKEN_KEY);
  },
  set(token: string): void {
    window.localStorage.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    window.localStorage.removeItem(TOKEN_KEY);
  },
};

/** An API error with the server's readable `detail` message. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
  }
}

/** The server's message from an error body ({"detail": "..."}), or a fallback naming the status. */
export function errorMessage(status: number, body: unknown): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string" && detail) return detail;
    if (Array.isArray(detail)) return detail.map((d) => (d as { msg?: string }).msg ?? String(d)).join("; ");
  }
  if (typeof body === "string" && body) return body;
  return `request failed (HTTP ${status})`;
}

/** Listeners told when the server says the token is no longer valid (401): the app logs out. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = tokenStore.get();
    if (token && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !new URL(request.url).pathname.endsWith("/auth/token")) {
      unauthorizedListeners.forEach((fn) => fn());
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: import.meta.env.VITE_API_BASE ?? window.location.origin });
api.use(authMiddleware);

/** Data of an openapi-fetch result, or throw an ApiError with the server's message. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiError(result.response.status, errorMessage(result.response.status, result.error));
  }
  return result.data as T;
}

/** POST /auth/token with the OAuth2 password form: the bearer token. */
export async function login(username: string, password: string): Promise<Schemas["Token"]> {
  const result = await api.POST("/auth/token", {
    body: { username, password, grant_type: "password" },
    bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  return unwrap(result);
}
