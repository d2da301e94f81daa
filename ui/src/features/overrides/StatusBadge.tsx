import type { Override } from "./logic";

export function StatusBadge({ status }: { status: Override["status"] }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}
