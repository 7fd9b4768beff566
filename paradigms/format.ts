/** Number formatting shared by the CLI and the renderer: 'n/a' for missing or undefined values. */
export function fmt(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(digits);
}

/** Decimals a statistic is shown with, by its unit (CLI and pages alike): counts whole, ms to 0.1, the rest to 3. */
export const digitsForUnit = (unit: string): number => (unit === 'trials' || unit === 'frames' ? 0 : unit === 'ms' ? 1 : 3);

/**
 * A frame size, as every page and CLI line writes it: height × width, as the arrays are laid out
 * (frames × height × width × channels) and as --size takes it. A picture from outside (a video,
 * a photograph) is said in words ("640 px wide, 480 px high") so the two orders never meet.
 */
export const frameSize = (height: unknown, width: unknown): string => `${String(height)} × ${String(width)}`;

/**
 * A stored instant (ISO 8601, UTC) as every page and CLI line writes it: local date and time to
 * the minute, "2026-12-07 01:05" (the stored value keeps its seconds and zone for files).
 */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
