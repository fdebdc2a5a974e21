// Medians and the plain table the benchmark prints.

export interface Row {
  measure: string;
  /** One value per run; empty for a derived row such as a ratio. */
  samples: number[];
  /** Shown instead of the samples' median when the row is derived. */
  value?: number;
  format: (value: number) => string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const millis = (ms: number) => `${ms.toFixed(0)} ms`;
export const megabytes = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
export const times = (ratio: number) => `${ratio.toFixed(2)} ×`;

export function renderTable(rows: Row[]): string {
  const cells = rows.map((row) => {
    const derived = row.samples.length === 0;
    return [
      row.measure,
      row.format(derived ? (row.value ?? NaN) : median(row.samples)),
      derived ? "" : row.format(Math.min(...row.samples)),
      derived ? "" : row.format(Math.max(...row.samples)),
      derived ? "" : String(row.samples.length),
    ];
  });
  const header = ["measure", "median", "min", "max", "runs"];
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column]?.length ?? 0)));
  const line = (cell: string[]) =>
    cell.map((text, column) => (column === 0 ? text.padEnd(widths[column] ?? 0) : text.padStart(widths[column] ?? 0))).join("  ").trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...cells.map(line)].join("\n");
}
