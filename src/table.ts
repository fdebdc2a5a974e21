// Plain text tables, for what a fleet of rotations prints (its plan, summary and where things
// stand) and for the benchmark: columns padded to their widest cell, no borders, so a table stays
// readable in a terminal, a log and a mailing-list note alike.

/** Columns padded to their widest cell; the first left-aligned, the rest as `align` says (default right). */
export function renderTable(header: string[], rows: string[][], align: "left" | "right" = "right"): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((text, column) => (column === 0 || align === "left" ? text.padEnd(widths[column] ?? 0) : text.padStart(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}
