/** Number formatting shared by the CLI and the renderer: 'n/a' for missing or undefined values. */
export function fmt(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(digits);
}
