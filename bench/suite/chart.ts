// Draws the open-loop latency percentiles per proxy as an SVG bar chart on a log scale (one panel per rate).

export interface ChartSeries {
  readonly label: string;
  /** p50, p99, p99.9 and max in µs. */
  readonly values: readonly [number, number, number, number];
}

export interface ChartPanel {
  readonly title: string;
  readonly series: readonly ChartSeries[];
}

const PERCENTILES = ["p50", "p99", "p99.9", "max"] as const;
// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
const COLOURS = ["#0072B2", "#E69F00", "#D55E00", "#7F7F7F"] as const;

/** The narrowest the chart gets; it widens with the number of proxies. */
const W = 960;
const PANEL_H = 330;
const TOP = 70;
const LEFT = 78;
const RIGHT = 20;
const PLOT_TOP = 34;
const PLOT_BOTTOM = 62;

function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** 12 → "12", 2500 → "2.5 ms", 0.8 → "0.8" (µs in, short text out). */
function short(us: number): string {
  if (us >= 1000) {
    const ms = us / 1000;
    return `${ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)} ms`;
  }
  return us >= 10 ? us.toFixed(0) : us.toFixed(1);
}

function tickLabel(us: number): string {
  if (us >= 1_000_000) return `${us / 1_000_000} s`;
  if (us >= 1000) return `${us / 1000} ms`;
  return `${us} µs`;
}

export function latencyChart(title: string, subtitle: string, panels: readonly ChartPanel[]): string {
  const all = panels
    .flatMap((p) => p.series.flatMap((s) => s.values))
    .filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...all, 1e9))));
  // Headroom above the tallest bar for its value label.
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 10) * 3));
  const H = TOP + panels.length * PANEL_H + 40;
  // Wide enough for every proxy's label under its bars (about 118 px each).
  const most = Math.max(0, ...panels.map((p) => p.series.length));
  const w = Math.max(W, LEFT + RIGHT + most * 118);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${H}" viewBox="0 0 ${w} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<rect width="${w}" height="${H}" fill="#ffffff"/>`,
    `<text x="${w / 2}" y="28" text-anchor="middle" font-size="19" font-weight="bold" fill="#222">${esc(title)}</text>`,
    `<text x="${w / 2}" y="50" text-anchor="middle" font-size="12" fill="#555">${esc(subtitle)}</text>`,
  ];
  // Legend.
  const legendX = w - RIGHT - PERCENTILES.length * 78;
  PERCENTILES.forEach((p, i) => {
    const x = legendX + i * 78;
    out.push(
      `<rect x="${x}" y="${TOP - 8}" width="12" height="12" fill="${COLOURS[i]}"/>`,
      `<text x="${x + 17}" y="${TOP + 2}" font-size="12" fill="#222">${p}</text>`,
    );
  });

  panels.forEach((panel, pi) => {
    const y0 = TOP + pi * PANEL_H;
    const plotTop = y0 + PLOT_TOP;
    const plotBottom = y0 + PANEL_H - PLOT_BOTTOM;
    const plotH = plotBottom - plotTop;
    const plotW = w - LEFT - RIGHT;
    const y = (v: number) =>
      plotBottom - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
    out.push(
      `<text x="${LEFT}" y="${y0 + 22}" font-size="14" font-weight="bold" fill="#222">${esc(panel.title)}</text>`,
    );
    // Grid: every power of ten, labelled; 2× and 5× lightly.
    for (let d = lo; d <= hi; d *= 10) {
      const gy = y(d);
      out.push(
        `<line x1="${LEFT}" y1="${gy.toFixed(1)}" x2="${w - RIGHT}" y2="${gy.toFixed(1)}" stroke="#bbb" stroke-width="1"/>`,
        `<text x="${LEFT - 8}" y="${(gy + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#444">${tickLabel(d)}</text>`,
      );
      for (const m of [2, 5]) {
        if (d * m >= hi) continue;
        const my = y(d * m);
        out.push(
          `<line x1="${LEFT}" y1="${my.toFixed(1)}" x2="${w - RIGHT}" y2="${my.toFixed(1)}" stroke="#e6e6e6" stroke-width="1"/>`,
        );
      }
    }
    out.push(
      `<line x1="${LEFT}" y1="${plotTop}" x2="${LEFT}" y2="${plotBottom}" stroke="#444"/>`,
      `<line x1="${LEFT}" y1="${plotBottom}" x2="${w - RIGHT}" y2="${plotBottom}" stroke="#444"/>`,
      `<text transform="translate(18 ${(plotTop + plotBottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="#444">latency (log scale)</text>`,
    );
    const n = panel.series.length;
    const groupW = plotW / Math.max(1, n);
    const barW = Math.min(30, (groupW * 0.8) / PERCENTILES.length);
    panel.series.forEach((s, si) => {
      const gx = LEFT + si * groupW + (groupW - barW * PERCENTILES.length) / 2;
      s.values.forEach((v, vi) => {
        if (!(v > 0) || !Number.isFinite(v)) return;
        const top = y(Math.max(v, lo));
        const x = gx + vi * barW;
        out.push(
          `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(plotBottom - top).toFixed(1)}" fill="${COLOURS[vi]}"><title>${esc(`${s.label} ${PERCENTILES[vi]}: ${short(v)}${v < 1000 ? " µs" : ""}`)}</title></rect>`,
          `<text transform="translate(${(x + barW / 2 + 3).toFixed(1)} ${(top - 4).toFixed(1)}) rotate(-90)" font-size="10" fill="#222">${esc(short(v))}</text>`,
        );
      });
      out.push(
        `<text x="${(LEFT + si * groupW + groupW / 2).toFixed(1)}" y="${plotBottom + 18}" text-anchor="middle" font-size="12" fill="#222">${esc(s.label)}</text>`,
      );
    });
  });
  out.push(
    `<text x="${w / 2}" y="${H - 12}" text-anchor="middle" font-size="11" fill="#666">Latency from the intended send time (open loop, no coordinated omission); values in µs unless marked ms.</text>`,
    "</svg>",
    "",
  );
  return out.join("\n");
}
