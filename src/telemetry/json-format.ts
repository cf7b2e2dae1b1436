// How metric values are written in JSON, shared by the flat and the tree renderers of /admin/metrics.json.

import type { Metric } from "./metric.ts";

/** A number in JSON; NaN and infinities are written as strings, as Linkerd's Jackson generator does. */
export function jsonNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : `"${v}"`;
}

/** Quotes, backslashes, control characters and lone surrogates: what JSON.stringify would change. */
const NEEDS_ESCAPE = /["\\\p{Cc}\p{Cs}]/u;

/** `s` escaped for use inside a JSON string (without the quotes); most metric names need no change. */
export function jsonEscape(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s;
}

/** How members are separated: compactly, or in Jackson's pretty style (`"a" : 1`, one per line). */
export interface JsonStyle {
  /** Between a key's closing quote and its value. */
  readonly colon: string;
  /** Between two members. */
  readonly comma: string;
}

export const COMPACT: JsonStyle = { colon: '":', comma: "," };
export const PRETTY: JsonStyle = { colon: '" : ', comma: ",\n  " };

/**
 * The members of one metric under the JSON key `name`, already escaped (see `jsonEscape`) and unquoted:
 * `"name":12` for a counter or gauge; `"name.count":n` and, when n > 0,
 * `.max .min .p50 .p90 .p95 .p99 .p9990 .p9999 .sum .avg` for a stat (Linkerd's order).
 * Members are separated by `style.comma`, with none leading or trailing.
 */
export function jsonMembers(name: string, metric: Metric, style: JsonStyle = COMPACT): string {
  const { colon, comma } = style;
  if (metric.kind !== "stat") return `"${name}${colon}${jsonNumber(metric.value)}`;
  const s = metric.summary;
  let out = `"${name}.count${colon}${s.count}`;
  if (s.count === 0) return out;
  for (const field of STAT_FIELDS) out += `${comma}"${name}.${field}${colon}${jsonNumber(s[field])}`;
  return out;
}

/** The fields a stat shows when it has values, in Linkerd's order (after `count`). */
const STAT_FIELDS = ["max", "min", "p50", "p90", "p95", "p99", "p9990", "p9999", "sum", "avg"] as const;
