// Chart building blocks over recharts (one look for every page; colours per series from lib/chartData).
import type { ReactNode } from "react";
import {
  Area,
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  ReferenceLine,
} from "recharts";
import { heatColor, seriesColor, type HeatGrid, type Row } from "../lib/chartData";

type LineSpec = { key: string; label?: string; dashed?: boolean; width?: number; dots?: boolean };
/** A shaded range: each row's value at `key` is [low, high] (e.g. a prediction interval); `color` of its line. */
type BandSpec = { key: string; label: string; color: string };

export function ChartCard({ title, children, note, testId }: { title: string; children: ReactNode; note?: ReactNode; testId?: string }) {
  return (
    <section className="chart-card" aria-label={title} data-testid={testId}>
      <h2>{title}</h2>
      {children}
      {note && <p className="legend-note">{note}</p>}
    </section>
  );
}

export function MultiLineChart({
  rows,
  xKey,
  lines,
  height = 300,
  yFormat,
  xFormat,
  referenceX,
  yDomain,
  bands = [],
}: {
  rows: Row[];
  xKey: string;
  lines: LineSpec[];
  bands?: BandSpec[];
  height?: number;
  yFormat?: (v: number) => string;
  xFormat?: (v: string | number) => string;
  referenceX?: string;
  yDomain?: [number | "auto", number | "auto"];
}) {
  return (
    <div style={{ width: "100%", height }}>
      <ResponsiveContainer>
        <ComposedChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 4 }}>
          <CartesianGrid stroke="#e9ecef" />
          <XAxis dataKey={xKey} tickFormatter={xFormat} fontSize={12} />
          <YAxis tickFormatter={yFormat} fontSize={12} width={64} domain={yDomain ?? ["auto", "auto"]} />
          <Tooltip formatter={(v) => (typeof v === "number" && yFormat ? yFormat(v) : String(v))} labelFormatter={(l) => (xFormat ? xFormat(l as string) : String(l))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {referenceX && <ReferenceLine x={referenceX} stroke="#adb5bd" strokeDasharray="4 4" label={{ value: "forecast →", fontSize: 11, position: "insideTopRight" }} />}
          {bands.map((b) => (
            <Area key={b.key} dataKey={b.key} name={b.label} stroke="none" fill={b.color} fillOpacity={0.15} connectNulls={false} isAnimationActive={false} />
          ))}
          {lines.map((l) => (
            <Line
              key={l.key}
              dataKey={l.key}
              name={l.label ?? l.key}
              stroke={seriesColor(l.key)}
              strokeWidth={l.width ?? 1.5}
              strokeDasharray={l.dashed ? "5 4" : undefined}
              dot={l.dots ? { r: 2 } : false}
              connectNulls={false}
              isAnimationActive={false}
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Vertical bars per x value, one bar per series (grouped), in the rows' order. */
export function MultiBarChart({
  rows,
  xKey,
  bars,
  height = 300,
  yFormat,
}: {
  rows: Row[];
  xKey: string;
  bars: { key: string; label?: string }[];
  height?: number;
  yFormat?: (v: number) => string;
}) {
  return (
    <div style={{ width: "100%", height }}>
      <ResponsiveContainer>
        <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 4 }}>
          <CartesianGrid stroke="#e9ecef" />
          <XAxis dataKey={xKey} fontSize={12} />
          <YAxis tickFormatter={yFormat} fontSize={12} width={64} />
          <Tooltip formatter={(v) => (typeof v === "number" && yFormat ? yFormat(v) : String(v))} />
          {bars.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
          {bars.map((b) => (
            <Bar key={b.key} dataKey={b.key} name={b.label ?? b.key} fill={seriesColor(b.key)} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** A 120x32 sparkline of actual (dark) vs forecast (blue). */
export function Sparkline({ rows, label }: { rows: Row[]; label: string }) {
  return (
    <div style={{ width: 140, height: 32 }} role="img" aria-label={label}>
      <ResponsiveContainer>
        <LineChart data={rows} margin={{ top: 2, right: 2, bottom: 2, left: 2 }}>
          <YAxis hide domain={[0, "auto"]} />
          <Line dataKey="actual" stroke="#111" strokeWidth={1.2} dot={false} isAnimationActive={false} />
          <Line dataKey="forecast" stroke="#0b5cad" strokeWidth={1.2} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** A heat table (rows x columns), values formatted by `format`; higher is greener. */
export function HeatTable({
  grid,
  caption,
  rowHeader,
  colLabel,
  rowLabel,
  format,
  testId,
}: {
  grid: HeatGrid;
  caption: string;
  rowHeader: string;
  colLabel?: (c: string) => string;
  rowLabel?: (r: string) => string;
  format: (v: number | null) => string;
  testId?: string;
}) {
  return (
    <div className="table-wrap">
      <table className="data-table heatmap" data-testid={testId}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{rowHeader}</th>
            {grid.cols.map((c) => (
              <th key={c} scope="col" className="num">
                {colLabel ? colLabel(c) : c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {grid.rows.map((r) => (
            <tr key={r}>
              <th scope="row">{rowLabel ? rowLabel(r) : r}</th>
              {grid.cols.map((c) => {
                const v = grid.value(r, c);
                return (
                  <td key={c} className="cell" style={{ background: heatColor(v, grid.min, grid.max) }}>
                    {format(v)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function KpiCard({ label, value, note, testId }: { label: string; value: string; note?: string; testId?: string }) {
  return (
    <div className="kpi" data-testid={testId}>
      <div className="kpi-label">{label}</div>
      <div className="kpi-value">{value}</div>
      {note && <div className="kpi-note">{note}</div>}
    </div>
  );
}
