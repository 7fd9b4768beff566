// Minimal declarations for untyped npm packages we use.
declare module 'fmin' {
  export interface NelderMeadResult { x: number[]; fx: number }
  export interface NelderMeadOptions { maxIterations?: number; minErrorDelta?: number; nonZeroDelta?: number; zeroDelta?: number }
  export function nelderMead(f: (x: number[]) => number, x0: number[], options?: NelderMeadOptions): NelderMeadResult;
}
declare module 'jstat' {
  const jstat: { jStat: JStat };
  export default jstat;
  interface JStat {
    normal: { cdf(x: number, mean: number, sd: number): number; pdf(x: number, mean: number, sd: number): number; inv(p: number, mean: number, sd: number): number };
  }
}
