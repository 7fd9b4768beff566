/**
 * Camera capture for video datasets, the parts that need no camera: the frame geometry
 * (PredNet's KITTI preprocessing: resize to the dataset's height, keep the centre columns —
 * the same geometry and bilinear resampling as the trainer's fitFrames), the frame clock that
 * samples a live stream at the dataset's rate, the chunking of frames for the Node side, and
 * what to tell a person when the camera cannot be used. Datasets.svelte wires these to a
 * <video> element and the IPC channels.
 */

/** Width of the frame scaled to height H (a source narrower than W is stretched to W), and the first column kept. */
export function fitGeometry(srcWidth: number, srcHeight: number, H: number, W: number): { scaledWidth: number; x0: number } {
  if (!(srcWidth > 0 && srcHeight > 0 && H > 0 && W > 0)) throw new RangeError(`Frame sizes must be positive: source ${srcWidth}x${srcHeight}, target ${W}x${H}.`);
  const scaledWidth = Math.max(W, Math.round((srcWidth * H) / srcHeight));
  return { scaledWidth, x0: Math.floor((scaledWidth - W) / 2) };
}

/**
 * One RGBA image (canvas ImageData, w x h) to an H x W RGB frame: bilinear resize to
 * (H, scaledWidth) with corners aligned (as tf.image.resizeBilinear(..., true) in fitFrames),
 * then the centre W columns; values rounded. Written into `out` at `offset` when given.
 */
export function fitFrameRGBA(rgba: ArrayLike<number>, w: number, h: number, H: number, W: number, out: Uint8Array = new Uint8Array(H * W * 3), offset = 0): Uint8Array {
  if (rgba.length !== w * h * 4) throw new RangeError(`An RGBA image of ${w}x${h} has ${w * h * 4} values; got ${rgba.length}.`);
  if (out.length < offset + H * W * 3) throw new RangeError(`The output holds ${out.length} bytes; frame ${H}x${W}x3 at ${offset} needs ${offset + H * W * 3}.`);
  const { scaledWidth, x0 } = fitGeometry(w, h, H, W);
  const sy = H > 1 ? (h - 1) / (H - 1) : 0;
  const sx = scaledWidth > 1 ? (w - 1) / (scaledWidth - 1) : 0;
  let o = offset;
  for (let y = 0; y < H; y++) {
    const fy = y * sy;
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const dy = fy - y0;
    for (let x = x0; x < x0 + W; x++) {
      const fx = x * sx;
      const xa = Math.floor(fx);
      const xb = Math.min(w - 1, xa + 1);
      const dx = fx - xa;
      const p00 = (y0 * w + xa) * 4;
      const p01 = (y0 * w + xb) * 4;
      const p10 = (y1 * w + xa) * 4;
      const p11 = (y1 * w + xb) * 4;
      for (let c = 0; c < 3; c++) {
        const top = rgba[p00 + c]! + (rgba[p01 + c]! - rgba[p00 + c]!) * dx;
        const bottom = rgba[p10 + c]! + (rgba[p11 + c]! - rgba[p10 + c]!) * dx;
        out[o++] = Math.min(255, Math.max(0, Math.round(top + (bottom - top) * dy)));
      }
    }
  }
  return out;
}

/**
 * The size to draw a camera frame at before fitFrameRGBA: at most twice the dataset's height
 * (the canvas's own smoothing does the large reduction, as ffmpeg's area scaling does for an
 * import), never larger than the source.
 */
export function drawSize(srcWidth: number, srcHeight: number, H: number): { width: number; height: number } {
  if (srcHeight <= 2 * H) return { width: srcWidth, height: srcHeight };
  const height = 2 * H;
  return { width: Math.max(1, Math.round((srcWidth * height) / srcHeight)), height };
}

/** How many frames a clip running for `elapsedMs` should hold at `fps` (the first at 0 ms). */
export function framesDue(elapsedMs: number, fps: number): number {
  return elapsedMs < 0 ? 0 : Math.floor((elapsedMs * fps) / 1000 + 1e-9) + 1;
}

/** Frames per chunk: about one second of video, within the channel's byte limit, at least one frame. */
export function framesPerChunk(frameBytes: number, fps: number, maxChunkBytes: number): number {
  if (frameBytes > maxChunkBytes) throw new RangeError(`One frame (${frameBytes} bytes) is larger than a chunk may be (${maxChunkBytes} bytes).`);
  return Math.max(1, Math.min(Math.ceil(fps), Math.floor(maxChunkBytes / frameBytes)));
}

/** Collects frames into chunks of whole frames; a full chunk is handed out, the rest on flush. */
export class FrameChunker {
  private buf: Uint8Array<ArrayBuffer>;
  private count = 0;

  constructor(
    readonly frameBytes: number,
    readonly perChunk: number,
  ) {
    if (!(Number.isInteger(frameBytes) && frameBytes > 0 && Number.isInteger(perChunk) && perChunk > 0)) throw new RangeError(`Bad chunking: ${perChunk} frames of ${frameBytes} bytes.`);
    this.buf = new Uint8Array(frameBytes * perChunk);
  }

  /** Where the next frame goes (fill it, then call commit). */
  slot(): { out: Uint8Array; offset: number } {
    return { out: this.buf, offset: this.count * this.frameBytes };
  }

  /** The frame in the slot is complete; returns a full chunk (a fresh buffer follows), or null. */
  commit(): Uint8Array<ArrayBuffer> | null {
    this.count++;
    if (this.count < this.perChunk) return null;
    const full = this.buf;
    this.buf = new Uint8Array(this.frameBytes * this.perChunk);
    this.count = 0;
    return full;
  }

  /** The frames not yet handed out (null if none). */
  flush(): Uint8Array<ArrayBuffer> | null {
    if (this.count === 0) return null;
    const rest = this.buf.slice(0, this.count * this.frameBytes);
    this.count = 0;
    return rest;
  }

  get pending(): number {
    return this.count;
  }
}

/** A clip length as m:ss.s, from frames and rate. */
export function clipLength(frames: number, fps: number): string {
  const s = frames / fps;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}

/** Why the camera cannot be used, in words a person can act on (always offering the import instead). */
export function cameraProblem(e: unknown): string {
  const name = (e as { name?: string } | null)?.name ?? '';
  const instead = 'You can import a video file or a folder of images instead (below).';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `PredLab was not allowed to use the camera. Allow camera access for PredLab (on macOS: System Settings > Privacy & Security > Camera), then press "Try the camera again". ${instead}`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No camera was found. Connect one and press "Try the camera again". ${instead}`;
    case 'NotReadableError':
    case 'AbortError':
      return `The camera is in use by another program or could not be started. Close the other program and press "Try the camera again". ${instead}`;
    default:
      return `The camera could not be started (${e instanceof Error ? e.message : String(e)}). ${instead}`;
  }
}
