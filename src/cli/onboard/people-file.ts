import { CsvError, parse } from 'csv-parse/sync';
import type { Column } from './columns.ts';

/** A data row of the file: its line (the header is line 1) and its cells by column name. */
export interface FileRow {
  line: number;
  cells: ReadonlyMap<string, string>;
}

/** Something wrong with one row, named by its line and, when it is one cell's, the column. */
export interface RowProblem {
  line: number;
  column?: string;
  message: string;
}

/** The file cannot be read as a people file at all: not CSV, or a header that names no input's fields. */
export class PeopleFileError extends Error {
  override name = 'PeopleFileError';
}

export interface PeopleFile {
  header: string[];
  rows: FileRow[];
  problems: RowProblem[];
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * The records of a CSV text, each with the line it starts on. csv-parse counts lines itself, but
 * counts a CRLF inside a quoted cell twice; the byte each record ends at counts them right.
 */
function recordsWithLines(text: string): { line: number; cells: string[] }[] {
  let records: { record: string[]; info: { bytes: number } }[];
  try {
    records = parse(text, { info: true, bom: true, skip_empty_lines: true, relax_column_count: true }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) throw new PeopleFileError(`line ${(error as CsvError & { lines?: number }).lines ?? '?'}: ${error.message}`);
    throw error;
  }
  const bytes = Buffer.from(text);
  let line = 1;
  let counted = 0;
  let end = 0;
  return records.map(({ record, info }) => {
    // A record starts past the line ends (and empty lines) after the one before it.
    let start = end;
    while (bytes[start] === NEWLINE || bytes[start] === CARRIAGE_RETURN) start++;
    for (; counted < start; counted++) if (bytes[counted] === NEWLINE) line++;
    end = info.bytes;
    return { line, cells: record };
  });
}

function checkHeader(header: string[], columns: readonly Column[]): void {
  const known = new Set(columns.map((column) => column.name));
  const problems: string[] = [];
  header.forEach((name, index) => {
    if (!name) problems.push(`column ${index + 1} has no name`);
    else if (!known.has(name)) problems.push(`unknown column "${name}"`);
    else if (header.indexOf(name) !== index) problems.push(`column "${name}" is given twice`);
  });
  for (const column of columns.filter((column) => column.required && !header.includes(column.name))) {
    problems.push(`no column "${column.name}", which every row needs`);
  }
  if (problems.length) {
    throw new PeopleFileError(
      `line 1: ${problems.join('; ')}. The columns are the fields of ProvisionUserInput: ${columns.map((column) => column.name).join(', ')}`,
    );
  }
}

/**
 * Reads a people file: a header of column names, then one person a row. A row with more or fewer
 * cells than the header is a problem of its own; a row of empty cells is skipped.
 */
export function readPeopleFile(text: string, columns: readonly Column[]): PeopleFile {
  const [first, ...records] = recordsWithLines(text);
  if (!first) throw new PeopleFileError('the file is empty: it needs a header line and a row per person');
  const header = first.cells.map((name) => name.trim());
  checkHeader(header, columns);
  const rows: FileRow[] = [];
  const problems: RowProblem[] = [];
  for (const { line, cells } of records) {
    if (cells.every((cell) => cell.trim() === '')) continue;
    if (cells.length !== header.length) {
      problems.push({ line, message: `has ${cells.length} cells where the header has ${header.length}` });
      continue;
    }
    rows.push({ line, cells: new Map(header.map((name, index) => [name, cells[index] as string])) });
  }
  return { header, rows, problems };
}
