// Plain-text tables: the first column left-aligned, every other column right-aligned.

export type Cell = string | number;

/** Fixed decimals, or "-" for a value that does not apply. */
export function decimal(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

function cellText(cell: Cell): string {
  return typeof cell === 'number' ? String(cell) : cell;
}

export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const textRows = [headers, ...rows.map((row) => row.map(cellText))];
  const widths = headers.map((_header, column) => Math.max(...textRows.map((row) => (row[column] ?? '').length)));
  const formatRow = (row: readonly string[]) =>
    row.map((text, column) => (column === 0 ? text.padEnd(widths[column] ?? 0) : text.padStart(widths[column] ?? 0))).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const [headerRow, ...bodyRows] = textRows;
  return [formatRow(headerRow ?? []), rule, ...bodyRows.map(formatRow)].join('\n');
}
