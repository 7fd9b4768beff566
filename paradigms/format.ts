/** Number formatting shared by the CLI and the renderer: 'n/a' for missing or undefined values. */
export function fmt(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(digits);
}

/** Decimals a statistic is shown with, by its unit (CLI and pages alike): counts whole, ms to 0.1, the rest to 3. */
export const digitsForUnit = (unit: string): number => (unit === 'trials' || unit === 'frames' ? 0 : unit === 'ms' ? 1 : 3);
