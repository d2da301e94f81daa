// Small labelled form controls (label always bound to its control, so every filter is keyboard/AT usable).
import type { ReactNode } from "react";

export function SelectField<V extends string>({
  label,
  value,
  options,
  onChange,
  name,
}: {
  label: string;
  value: V;
  options: readonly { value: V; label: string }[];
  onChange: (value: V) => void;
  name: string;
}) {
  const id = `f-${name}`;
  return (
    <label className="field" htmlFor={id}>
      <span>{label}</span>
      <select id={id} name={name} value={value} onChange={(e) => onChange(e.target.value as V)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function FilterBar({ children }: { children: ReactNode }) {
  return (
    <div className="filter-bar" role="group" aria-label="Filters">
      {children}
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children && <div className="page-actions">{children}</div>}
    </div>
  );
}
