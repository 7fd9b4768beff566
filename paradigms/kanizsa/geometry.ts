/**
 * Kanizsa geometry (pure, degrees, y up). Four inducers sit at the corners of a square, mouths
 * (90-degree wedges) facing the centre, so at alpha = 0 their edges lie on the square's sides.
 * Each inducer turns by +-alpha about its centre, alternating around the square (Ringach &
 * Shapley 1996): with alpha > 0 the left and right sides bow outward ("fat"), with alpha < 0
 * inward ("thin"); the inducers are rigid, so the top and bottom sides bow the other way.
 * Real contours are those bent sides drawn as lines.
 *
 * The control turns every inducer exactly outward (180 degrees about its centre), after the same
 * +-alpha. Why this layout: a half turn maps each straight mouth edge onto the other half of the
 * same line through the inducer's centre, so every edge keeps its orientation and its +-alpha
 * exactly (the local evidence about alpha is the illusory figure's; the contrast polarity across
 * each line flips with the turn, which no rigid turn of a pac-man avoids), while each edge now points
 * away from its partner: the two edges of a side meet (at the bend) behind both, and across each
 * gap the image shows only the discs' round backs. Nothing is left to complete (relatable edges
 * must point at each other: Kellman & Shipley 1991), which is what "inducers turned outward"
 * controls mean. (Control trials stored before this layout turned 30 degrees further; they carry
 * no controlTurnDeg and are drawn as they were shown: LEGACY_CONTROL_TURN_DEG.)
 */
import { frameAt, LEGACY_FRAME_RATE_HZ } from '../durations.js';
import { fixationDot } from '../fixation.js';
import type { DisplayTiming, Scene, Shape } from '../types.js';
import type { KanizsaStimulus } from './params.js';

const RAD = Math.PI / 180;
/** How far the control's inducers turn from the illusory arrangement: exactly outward. */
export const CONTROL_TURN_DEG = 180;
/** The turn of control trials stored without controlTurnDeg (before the half turn): as they were shown. */
export const LEGACY_CONTROL_TURN_DEG = 210;

export interface Inducer {
  id: 'tr' | 'tl' | 'bl' | 'br';
  x: number;
  y: number;
  /** Direction the mouth faces (deg, counter-clockwise from +x). */
  mouthDeg: number;
}

/** The inducers in order around the square (each neighbours the next), for a stimulus. */
export function inducers(s: Pick<KanizsaStimulus, 'condition' | 'alphaDeg' | 'xDeg' | 'yDeg' | 'sideDeg' | 'controlTurnDeg'>): Inducer[] {
  const h = s.sideDeg / 2;
  const base = [
    { id: 'tr', sx: 1, sy: 1, mouth: 225, sign: 1 },
    { id: 'tl', sx: -1, sy: 1, mouth: 315, sign: -1 },
    { id: 'bl', sx: -1, sy: -1, mouth: 45, sign: 1 },
    { id: 'br', sx: 1, sy: -1, mouth: 135, sign: -1 },
  ] as const;
  const turn = s.condition === 'control' ? (s.controlTurnDeg ?? LEGACY_CONTROL_TURN_DEG) : 0;
  return base.map((b) => ({ id: b.id, x: s.xDeg + b.sx * h, y: s.yDeg + b.sy * h, mouthDeg: b.mouth + turn + b.sign * s.alphaDeg }));
}

/** The two straight edges of an inducer's mouth, as unit directions from its centre. */
export function mouthEdges(i: Inducer): [number, number][] {
  return [i.mouthDeg - 45, i.mouthDeg + 45].map((d) => [Math.cos(d * RAD), Math.sin(d * RAD)]);
}

/** A straight mouth edge as a ray from its inducer's centre. */
export interface EdgeRay {
  inducer: Inducer['id'];
  p: [number, number];
  d: [number, number];
}

export function edgeRays(list: Inducer[]): EdgeRay[] {
  return list.flatMap((i) => mouthEdges(i).map((d): EdgeRay => ({ inducer: i.id, p: [i.x, i.y], d: d as [number, number] })));
}

/**
 * Pairs of edges of different inducers that point at each other across a gap (relatable, after
 * Kellman & Shipley 1991): their lines meet in front of both, outside every inducer (edges meeting
 * inside a disc make a corner the disc hides, not a contour in a gap), and a contour joining them
 * turns by less than 90 degrees; or they lie on one line pointing toward each other. These are the
 * edges a completing observer joins; the illusory figure has one pair per side, the control none.
 */
export function facingEdges(list: Inducer[], radius: number): [EdgeRay, EdgeRay][] {
  const rays = edgeRays(list);
  const out: [EdgeRay, EdgeRay][] = [];
  const eps = 1e-9;
  for (let a = 0; a < rays.length; a++)
    for (let b = a + 1; b < rays.length; b++) {
      const r = rays[a]!;
      const q = rays[b]!;
      // Same inducer, or a join turning by 90 degrees or more (a corner, or rays heading the same way).
      if (r.inducer === q.inducer || r.d[0] * q.d[0] + r.d[1] * q.d[1] > -1e-6) continue;
      const rx = q.p[0] - r.p[0];
      const ry = q.p[1] - r.p[1];
      const cross = r.d[0] * q.d[1] - r.d[1] * q.d[0];
      if (Math.abs(cross) < eps) {
        const onLine = Math.abs(rx * r.d[1] - ry * r.d[0]) < eps;
        if (onLine && r.d[0] * rx + r.d[1] * ry > 0 && q.d[0] * -rx + q.d[1] * -ry > 0) out.push([r, q]);
        continue;
      }
      const t = (rx * q.d[1] - ry * q.d[0]) / cross;
      const u = (rx * r.d[1] - ry * r.d[0]) / cross;
      if (t <= eps || u <= eps) continue;
      const x = r.p[0] + t * r.d[0];
      const y = r.p[1] + t * r.d[1];
      if (list.every((i) => Math.hypot(x - i.x, y - i.y) > radius)) out.push([r, q]);
    }
  return out;
}

/** Where two rays p + t d and q + u e meet (null if parallel). */
function meet(p: [number, number], d: [number, number], q: [number, number], e: [number, number]): [number, number] | null {
  const det = d[0] * -e[1] + e[0] * d[1];
  if (Math.abs(det) < 1e-12) return null;
  const rx = q[0] - p[0];
  const ry = q[1] - p[1];
  const t = (rx * -e[1] + e[0] * ry) / det;
  return [p[0] + t * d[0], p[1] + t * d[1]];
}

/**
 * The figure's outline as segments: for each side, from each of its two inducers along the edge
 * that points to the other inducer, to where the two edges meet (the bend). Computed from the
 * illusory arrangement for any condition (the real contours, and where the illusory ones would be).
 */
export function contourSegments(s: Pick<KanizsaStimulus, 'alphaDeg' | 'xDeg' | 'yDeg' | 'sideDeg'>): [[number, number], [number, number]][] {
  const ind = inducers({ ...s, condition: 'illusory' });
  const segments: [[number, number], [number, number]][] = [];
  for (let k = 0; k < 4; k++) {
    const a = ind[k]!;
    const b = ind[(k + 1) % 4]!;
    const toward = (from: Inducer, to: Inducer) =>
      mouthEdges(from).reduce((best, e) => (e[0] * (to.x - from.x) + e[1] * (to.y - from.y) > best[0] * (to.x - from.x) + best[1] * (to.y - from.y) ? e : best));
    const bend = meet([a.x, a.y], toward(a, b), [b.x, b.y], toward(b, a)) ?? [(a.x + b.x) / 2, (a.y + b.y) / 2];
    segments.push([[a.x, a.y], bend], [[b.x, b.y], bend]);
  }
  return segments;
}

/**
 * Where the phases end, [fixation, discs, figure, mask], in seconds from the trial's start. With a
 * display's timing they sit on its frame grid: each cumulative time rounded to the nearest frame,
 * a phase that has any duration at least one frame. Without, in continuous time. Trials stored
 * before durations were in seconds count frames of whoever draws them (LEGACY_FRAME_RATE_HZ in
 * continuous time).
 */
export function phaseEnds(s: KanizsaStimulus, timing?: DisplayTiming): [number, number, number, number] {
  if (s.presentationS === undefined) {
    const rate = timing?.frameRateHz ?? LEGACY_FRAME_RATE_HZ;
    const counts = [s.preFrames ?? 0, s.discFrames ?? 0, s.presentationFrames ?? 1, s.maskFrames ?? 0];
    let k = 0;
    return counts.map((c) => (k += c) / rate) as [number, number, number, number];
  }
  const durations = [s.preS ?? 0, s.discS ?? 0, s.presentationS, s.maskS ?? 0];
  let t = 0;
  const ends = durations.map((d) => (t += d));
  if (!timing) return ends as [number, number, number, number];
  const R = timing.frameRateHz;
  let k = 0;
  return ends.map((e, i) => (k = Math.max(k + (durations[i]! > 0 ? 1 : 0), Math.round(e * R))) / R) as [number, number, number, number];
}

export function trialDuration(s: KanizsaStimulus, timing?: DisplayTiming): number {
  return phaseEnds(s, timing)[3];
}

/** When the figure appears, in continuous time (s). */
export function figureOnsetS(s: KanizsaStimulus): number {
  return phaseEnds(s)[1];
}

/** The frame on which a display with this timing shows the figure first. */
export function figureFrame(s: KanizsaStimulus, timing: DisplayTiming): number {
  return Math.round(phaseEnds(s, timing)[1] * timing.frameRateHz);
}

/** Continuous-time moments where the scene changes: each phase's end. */
export function events(s: KanizsaStimulus): number[] {
  return phaseEnds(s);
}

function discs(s: KanizsaStimulus, radius: number): Shape[] {
  return inducers(s).map((i) => ({ kind: 'disc', id: `disc-${i.id}`, x: i.x, y: i.y, radius, luminance: s.inducerLuminance }));
}

/** The figure of the stimulus's condition. */
export function figure(s: KanizsaStimulus): Shape[] {
  if (s.condition === 'real')
    return contourSegments(s).map(([p, q], k) => {
      // Each end reaches half a line width past its point, so the outline has no notches at the joins.
      const len = Math.hypot(q[0] - p[0], q[1] - p[1]) || 1;
      const ex = ((q[0] - p[0]) / len) * (s.lineWidthDeg / 2);
      const ey = ((q[1] - p[1]) / len) * (s.lineWidthDeg / 2);
      return { kind: 'line', id: `side-${k}`, x1: p[0] - ex, y1: p[1] - ey, x2: q[0] + ex, y2: q[1] + ey, width: s.lineWidthDeg, luminance: s.inducerLuminance };
    });
  return inducers(s).map((i) => ({ kind: 'wedge-disc', id: `inducer-${i.id}`, x: i.x, y: i.y, radius: s.inducerRadiusDeg, wedgeDeg: 90, rotationDeg: i.mouthDeg, luminance: s.inducerLuminance }));
}

export function scene(s: KanizsaStimulus, t: number, timing?: DisplayTiming): Scene {
  const [preEnd, onset, figureEnd, end] = phaseEnds(s, timing);
  // A display shows what holds at its frame's start (compared as frame indices: exact); a model in continuous time.
  const at = (x: number) => (timing ? Math.round(x * timing.frameRateHz) : x);
  const now = timing ? frameAt(t, timing.frameRateHz) : t;
  const shapes: Shape[] = [];
  if (now >= at(preEnd) && now < at(onset)) shapes.push(...discs(s, s.inducerRadiusDeg));
  else if (now >= at(onset) && now < at(figureEnd)) shapes.push(...figure(s));
  else if (now >= at(figureEnd) && now < at(end)) shapes.push(...discs(s, s.inducerRadiusDeg * 1.15));
  // Fixation last: always on top.
  shapes.push(fixationDot(s.fixationLuminance));
  return { background: s.background, shapes };
}
