// Medians and the plain tables the benchmark prints (the table itself is the one rotate prints).
export { renderTable } from "../src/table.js";

export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

export const seconds = (ms: number) => (Number.isNaN(ms) ? "–" : `${(ms / 1000).toFixed(2)} s`);
export const millis = (ms: number) => (Number.isNaN(ms) ? "–" : `${ms.toFixed(0)} ms`);
export const megabytes = (kb: number) => (Number.isNaN(kb) ? "–" : `${(kb / 1024).toFixed(0)} MB`);
export const times = (ratio: number) => (Number.isNaN(ratio) ? "–" : `${ratio.toFixed(2)} ×`);

/** "median (min–max)" of one measure's samples. */
export function spread(samples: number[], format: (value: number) => string): string {
  if (samples.length === 0) return "–";
  if (samples.length === 1) return format(samples[0] ?? NaN);
  return `${format(median(samples))} (${format(Math.min(...samples))}–${format(Math.max(...samples))})`;
}
