/**
 * A small anti-aliased software rasterizer (supersampled coverage) for grey-level images in
 * [0, 1]: what PredNet sees. Shapes are in pixel coordinates, y down, pixel (i, j) covering
 * [j, j+1) x [i, i+1). Used for paradigm scenes and for procedural training video.
 */

export interface Canvas {
  width: number;
  height: number;
  /** Row-major grey values in [0, 1]. */
  data: Float32Array;
}

export function canvas(width: number, height: number, fill: number): Canvas {
  return { width, height, data: new Float32Array(width * height).fill(fill) };
}

/** An inside test in pixel coordinates plus its bounding box. */
export interface Region {
  inside(x: number, y: number): boolean;
  box: [number, number, number, number]; // x0, y0, x1, y1
  /** Value at a point (flat shapes ignore the position). */
  value(x: number, y: number): number;
}

/** Paint a region with `samples` x `samples` subpixels per pixel (coverage-weighted blend). */
export function paint(c: Canvas, r: Region, samples = 4): void {
  const x0 = Math.max(0, Math.floor(r.box[0]));
  const y0 = Math.max(0, Math.floor(r.box[1]));
  const x1 = Math.min(c.width, Math.ceil(r.box[2]));
  const y1 = Math.min(c.height, Math.ceil(r.box[3]));
  const inv = 1 / samples;
  const n = samples * samples;
  for (let i = y0; i < y1; i++)
    for (let j = x0; j < x1; j++) {
      let hit = 0;
      let sum = 0;
      for (let a = 0; a < samples; a++)
        for (let b = 0; b < samples; b++) {
          const x = j + (b + 0.5) * inv;
          const y = i + (a + 0.5) * inv;
          if (r.inside(x, y)) {
            hit++;
            sum += r.value(x, y);
          }
        }
      if (hit) {
        const k = i * c.width + j;
        c.data[k] = c.data[k]! * (1 - hit / n) + sum / n;
      }
    }
}

const flat = (v: number) => () => v;

/** A rectangle centred at (cx, cy), rotated by `angle` radians. */
export function rect(cx: number, cy: number, w: number, h: number, angle: number, value: number | ((x: number, y: number) => number)): Region {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const ex = (Math.abs(w * cos) + Math.abs(h * sin)) / 2;
  const ey = (Math.abs(w * sin) + Math.abs(h * cos)) / 2;
  return {
    box: [cx - ex, cy - ey, cx + ex, cy + ey],
    inside: (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      return Math.abs(dx * cos + dy * sin) <= w / 2 && Math.abs(-dx * sin + dy * cos) <= h / 2;
    },
    value: typeof value === 'number' ? flat(value) : value,
  };
}

export function disc(cx: number, cy: number, r: number, value: number | ((x: number, y: number) => number)): Region {
  return { box: [cx - r, cy - r, cx + r, cy + r], inside: (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r, value: typeof value === 'number' ? flat(value) : value };
}

/** The side of a line through (px, py) with normal angle `angle` where the normal points. */
export function halfPlane(px: number, py: number, angle: number, value: number, width: number, height: number): Region {
  const nx = Math.cos(angle);
  const ny = Math.sin(angle);
  return { box: [0, 0, width, height], inside: (x, y) => (x - px) * nx + (y - py) * ny >= 0, value: flat(value) };
}

/** A disc of radius r with the wedge of `wedge` radians centred on direction `facing` (radians, y down) cut out. */
export function wedgeDisc(cx: number, cy: number, r: number, wedge: number, facing: number, value: number): Region {
  const half = wedge / 2;
  return {
    box: [cx - r, cy - r, cx + r, cy + r],
    inside: (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      if (dx * dx + dy * dy > r * r) return false;
      // Angular distance from the wedge's centre line, wrapped to [0, pi].
      const d = Math.abs(Math.atan2(Math.sin(Math.atan2(dy, dx) - facing), Math.cos(Math.atan2(dy, dx) - facing)));
      return d >= half;
    },
    value: flat(value),
  };
}

/** A simple polygon (pixel coordinates), filled by the even-odd rule. */
export function polygon(points: [number, number][], value: number): Region {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return {
    box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
    inside: (x, y) => {
      let inside = false;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const [xi, yi] = points[i]!;
        const [xj, yj] = points[j]!;
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    },
    value: flat(value),
  };
}
