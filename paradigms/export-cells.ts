/**
 * Cells of an exported trial row read back (an analysis recomputed from an export): what a
 * paradigm's `tidyColumns` wrote, as text, to the value it came from. Numbers are written in full
 * (String(n)), so they read back to the same doubles.
 */

/** An empty cell is null; anything else must be a finite number. */
export function numberCell(row: Record<string, string>, column: string): number | null {
  const v = row[column]?.trim() ?? '';
  if (v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`column ${column} holds '${v}', not a number`);
  return n;
}

/** A series written as numbers joined by ';' (empty: null). */
export function numberListCell(row: Record<string, string>, column: string): number[] | null {
  const v = row[column]?.trim() ?? '';
  if (v === '') return null;
  return v.split(';').map((x) => {
    const n = Number(x);
    if (x.trim() === '' || !Number.isFinite(n)) throw new Error(`column ${column} holds '${x}' in its series, not a number`);
    return n;
  });
}

/** How a series is written into one cell. */
export const listCell = (xs: unknown): string | null => (Array.isArray(xs) && xs.every((x) => typeof x === 'number' && Number.isFinite(x)) ? xs.join(';') : null);
