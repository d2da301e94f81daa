// A keyboard-usable table: sortable column headers are buttons (Tab + Enter), rows that open something are
// focusable (Tab, ↑/↓ to move, Enter to open), and the caption names the table for screen readers.
import { useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";

export type Column<T> = {
  key: string;
  header: ReactNode;
  render?: (row: T) => ReactNode;
  /** Value used for sorting (defaults to row[key]). */
  sortValue?: (row: T) => number | string | null | undefined;
  sortable?: boolean;
  align?: "left" | "right";
};

type Props<T> = {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  onRowActivate?: (row: T) => void;
  initialSort?: { key: string; dir: "asc" | "desc" };
  empty?: ReactNode;
  testId?: string;
  selectedKey?: string | null;
};

export function compareValues(a: unknown, b: unknown): number {
  const missingA = a === null || a === undefined || (typeof a === "number" && Number.isNaN(a));
  const missingB = b === null || b === undefined || (typeof b === "number" && Number.isNaN(b));
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1; // missing values last
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function DataTable<T>({ caption, columns, rows, rowKey, onRowActivate, initialSort, empty, testId, selectedKey }: Props<T>) {
  const [sort, setSort] = useState(initialSort ?? null);
  const bodyRef = useRef<HTMLTableSectionElement>(null);

  const sorted = useMemo(() => {
    if (!sort) return rows;
    const col = columns.find((c) => c.key === sort.key);
    if (!col) return rows;
    const value = col.sortValue ?? ((row: T) => (row as Record<string, unknown>)[col.key] as number | string);
    const out = [...rows].sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      const missing = (v: unknown) => v === null || v === undefined;
      if (missing(va) || missing(vb)) return compareValues(va, vb); // missing last in both directions
      return sort.dir === "asc" ? compareValues(va, vb) : compareValues(vb, va);
    });
    return out;
  }, [rows, columns, sort]);

  const toggle = (key: string) =>
    setSort((s) => (s && s.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: "desc" }));

  const onKeyDown = (event: KeyboardEvent<HTMLTableRowElement>, row: T) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onRowActivate?.(row);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const sibling = event.key === "ArrowDown" ? event.currentTarget.nextElementSibling : event.currentTarget.previousElementSibling;
      (sibling as HTMLElement | null)?.focus();
    }
  };

  if (rows.length === 0) return <div className="status status-empty">{empty ?? "No rows."}</div>;

  return (
    <div className="table-wrap">
      <table className="data-table" data-testid={testId}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((col) => {
              const active = sort?.key === col.key;
              const ariaSort = active ? (sort.dir === "asc" ? "ascending" : "descending") : undefined;
              return (
                <th key={col.key} scope="col" aria-sort={ariaSort} className={col.align === "right" ? "num" : undefined}>
                  {col.sortable === false ? (
                    col.header
                  ) : (
                    <button type="button" className="sort-button" onClick={() => toggle(col.key)}>
                      {col.header}
                      <span aria-hidden="true" className="sort-mark">{active ? (sort.dir === "asc" ? "▲" : "▼") : "↕"}</span>
                    </button>
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody ref={bodyRef}>
          {sorted.map((row) => {
            const key = rowKey(row);
            return (
              <tr
                key={key}
                data-key={key}
                tabIndex={onRowActivate ? 0 : undefined}
                className={[onRowActivate ? "clickable" : "", selectedKey === key ? "selected" : ""].join(" ").trim() || undefined}
                aria-selected={selectedKey !== undefined ? selectedKey === key : undefined}
                onClick={onRowActivate ? () => onRowActivate(row) : undefined}
                onKeyDown={onRowActivate ? (e) => onKeyDown(e, row) : undefined}
              >
                {columns.map((col) => (
                  <td key={col.key} className={col.align === "right" ? "num" : undefined}>
                    {col.render ? col.render(row) : String((row as Record<string, unknown>)[col.key] ?? "—")}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
