// `l5d-ctx-deadline`: `<timestampNanos> <deadlineNanos>` since the epoch; read on ingress, written on egress.

import type { HeaderList } from "./header-list.ts";
import { L5dHeader } from "./linkerd-header-names.ts";

/** Nanoseconds since the epoch as text, to milliseconds; undefined unless it is a plain integer. */
function nanosToMs(text: string): number | undefined {
  if (!/^\d{1,25}$/.test(text)) return undefined;
  // Split so that the milliseconds stay exact (nanoseconds since the epoch are beyond a double's precision).
  const cut = Math.max(0, text.length - 6);
  return Number(text.slice(0, cut) || "0") + Number(text.slice(cut)) / 1e6;
}

/**
 * Takes every `l5d-ctx-deadline` line out of `headers` and returns the strictest deadline among them, in
 * milliseconds since the epoch; undefined when there is none. Malformed values are ignored, as Linkerd does.
 */
export function takeDeadline(headers: HeaderList): number | undefined {
  if (!headers.has(L5dHeader.ctxDeadline)) return undefined;
  const values = headers.getAll(L5dHeader.ctxDeadline);
  headers.delete(L5dHeader.ctxDeadline);
  let deadline: number | undefined;
  for (const v of values) {
    const parts = v.trim().split(/\s+/);
    if (parts.length !== 2) continue;
    const d = nanosToMs(parts[1] as string);
    if (nanosToMs(parts[0] as string) === undefined || d === undefined) continue;
    if (deadline === undefined || d < deadline) deadline = d;
  }
  return deadline;
}

/** Writes the deadline `remainingMs` from `wallNowMs` (milliseconds since the epoch) as `l5d-ctx-deadline`. */
export function setDeadline(headers: HeaderList, wallNowMs: number, remainingMs: number): void {
  const now = Math.floor(wallNowMs);
  const deadline = Math.floor(wallNowMs + Math.max(0, remainingMs));
  headers.set(L5dHeader.ctxDeadline, `${now}000000 ${deadline}000000`);
}
