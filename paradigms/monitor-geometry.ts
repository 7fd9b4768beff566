/** Display geometry shared by the Calibrate page and the CLI: pixels per degree at the screen's centre. */
export function pxPerDegFor(pxPerCm: number, viewingDistanceCm: number): number {
  return pxPerCm * 2 * viewingDistanceCm * Math.tan(Math.PI / 360);
}
