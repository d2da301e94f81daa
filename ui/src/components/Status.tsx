// Loading, error and empty states: every query on every page shows one of these instead of a blank area.
import type { ReactNode } from "react";
import { ApiError } from "../api/client";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="status status-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}

export function ErrorBox({ error, title = "Could not load", onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError ? ` (HTTP ${error.status})` : "";
  return (
    <div className="status status-error" role="alert">
      <strong>{title}{status}:</strong> {message}
      {onRetry && (
        <button type="button" className="link-button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="status status-empty">{children}</div>;
}

type QueryLike<T> = { isPending: boolean; isError: boolean; error: unknown; data: T | undefined; refetch: () => unknown };

/** Render `children(data)` once the query has data; loading and error states otherwise. */
export function QueryView<T>({ query, children, label }: { query: QueryLike<T>; children: (data: T) => ReactNode; label?: string }) {
  if (query.isPending) return <Loading label={label} />;
  if (query.isError) return <ErrorBox error={query.error} onRetry={() => query.refetch()} />;
  return <>{children(query.data as T)}</>;
}
