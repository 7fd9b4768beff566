/**
 * renderer/src/lib/capture.ts without a camera: the resize/crop equals the trainer's own
 * fitFrames (tfjs) on the same images, the crop keeps the centre, the frame clock and the
 * chunking give whole frames within the channel's limit, and camera failures read as advice.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { fitFrames } from '../../native-models/training/load-video.js';
import { DATASET_CHANNEL_LIMITS } from '../../preload/channels/datasets.js';
import { cameraProblem, clipLength, drawSize, fitFrameRGBA, fitGeometry, FrameChunker, framesDue, framesPerChunk } from '../../renderer/src/lib/capture.js';

beforeAll(async () => {
  await initBackend();
});

/** A seeded RGBA image (alpha 255) and the same pixels as RGB. */
function image(w: number, h: number, seed: number): { rgba: Uint8ClampedArray; rgb: Uint8Array } {
  const rgba = new Uint8ClampedArray(w * h * 4);
  const rgb = new Uint8Array(w * h * 3);
  let s = seed;
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) {
      s = (s * 1103515245 + 12345) >>> 0;
      // Smooth gradients plus noise: both kinds of content a camera gives.
      const v = Math.round(((i % w) / w) * 120 + (Math.floor(i / w) / h) * 60 + (s >>> 24) / 4);
      rgba[i * 4 + c] = v;
      rgb[i * 3 + c] = v;
    }
    rgba[i * 4 + 3] = 255;
  }
  return { rgba, rgb };
}

describe('capture: resize to the height, centre crop', () => {
  it.each([
    [640, 480, 64, 80],
    [320, 180, 128, 160],
    [100, 200, 64, 80], // narrower than the dataset: stretched to its width
    [80, 64, 64, 80], // already the dataset's size
    [161, 121, 16, 20],
  ])('%ix%i -> %ix%i (HxW) equals the trainer\'s fitFrames to within rounding', async (w, h, H, W) => {
    const { rgba, rgb } = image(w, h, w * 7 + h);
    const ours = fitFrameRGBA(rgba, w, h, H, W);
    const theirs = await fitFrames(rgb, 1, h, w, 3, H, W);
    expect(ours.length).toBe(H * W * 3);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
    // tfjs computes in float32, this in float64: a value on a .5 boundary may round apart.
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it('keeps the centre columns of a wide frame: a centred vertical bar stays centred', () => {
    const w = 400;
    const h = 100;
    const rgba = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 190; x < 210; x++) rgba.fill(255, (y * w + x) * 4, (y * w + x) * 4 + 4);
    const out = fitFrameRGBA(rgba, w, h, 16, 20);
    // Scaled to 64x16, columns 22..41 kept: the bar (at 30.4..33.6 scaled) is at 8..11 of 20.
    expect(fitGeometry(w, h, 16, 20)).toEqual({ scaledWidth: 64, x0: 22 });
    const row = Array.from({ length: 20 }, (_, x) => out[(8 * 20 + x) * 3]!);
    const bright = row.map((v, x) => (v > 128 ? x : -1)).filter((x) => x >= 0);
    expect(bright.length).toBeGreaterThan(0);
    expect((bright[0]! + bright.at(-1)!) / 2).toBeCloseTo(9.5, 0);
  });

  it('writes into a chunk at an offset, and refuses sizes that do not match', () => {
    const { rgba } = image(32, 24, 1);
    const out = new Uint8Array(3 * 8 * 10 * 3).fill(7);
    fitFrameRGBA(rgba, 32, 24, 8, 10, out, 8 * 10 * 3);
    expect(out.subarray(0, 240).every((v) => v === 7)).toBe(true);
    expect(out.subarray(240, 480)).toEqual(fitFrameRGBA(rgba, 32, 24, 8, 10));
    expect(out.subarray(480).every((v) => v === 7)).toBe(true);
    expect(() => fitFrameRGBA(rgba, 31, 24, 8, 10)).toThrow(/RGBA image of 31x24/);
    expect(() => fitFrameRGBA(rgba, 32, 24, 8, 10, new Uint8Array(100))).toThrow(/output holds 100 bytes/);
  });

  it('draws large camera frames at twice the dataset height at most', () => {
    expect(drawSize(1280, 720, 64)).toEqual({ width: 228, height: 128 });
    expect(drawSize(160, 120, 64)).toEqual({ width: 160, height: 120 });
  });
});

describe('capture: clock and chunks', () => {
  it('samples at the dataset rate', () => {
    expect([0, 99, 100, 999, 1000, 2050].map((t) => framesDue(t, 10))).toEqual([1, 1, 2, 10, 11, 21]);
    expect(framesDue(-5, 10)).toBe(0);
    expect(clipLength(125, 10)).toBe('0:12.5');
    expect(clipLength(905, 10)).toBe('1:30.5');
  });

  it('chunks hold whole frames, about a second each, within the channel limit', () => {
    const max = DATASET_CHANNEL_LIMITS.chunkBytes;
    expect(framesPerChunk(128 * 160 * 3, 10, max)).toBe(10);
    expect(framesPerChunk(1024 * 1024 * 3, 120, max)).toBe(2);
    expect(() => framesPerChunk(max + 1, 10, max)).toThrow(/larger than a chunk/);
    const c = new FrameChunker(6, 3);
    const chunks: Uint8Array[] = [];
    for (let f = 0; f < 7; f++) {
      const { out, offset } = c.slot();
      out.fill(f, offset, offset + 6);
      const full = c.commit();
      if (full) chunks.push(full);
    }
    chunks.push(c.flush()!);
    expect(c.flush()).toBeNull();
    expect(chunks.map((x) => x.length)).toEqual([18, 18, 6]);
    expect(Array.from(chunks[1]!)).toEqual([3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5]);
    expect(Array.from(chunks[2]!)).toEqual([6, 6, 6, 6, 6, 6]);
  });
});

describe('capture: camera problems', () => {
  it('says what happened and offers the import', () => {
    const err = (name: string) => Object.assign(new Error('x'), { name });
    expect(cameraProblem(err('NotAllowedError'))).toMatch(/not allowed to use the camera.*import a video file/);
    expect(cameraProblem(err('NotFoundError'))).toMatch(/No camera was found.*import a video file/);
    expect(cameraProblem(err('NotReadableError'))).toMatch(/in use by another program/);
    expect(cameraProblem(new Error('odd'))).toMatch(/could not be started \(odd\)/);
  });
});
