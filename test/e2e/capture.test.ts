/**
 * The Video page in Chromium with a fake camera playing a clip this test writes (a bright bar
 * moving right, as a y4m file): create a dataset, record a clip through the UI, and find the
 * recording in the app's real SQLite file and its frames on disk at the dataset's size; import a
 * generated video through the page (the dialog's answer is the test's file). A denied camera
 * shows what to do instead, never a blank page.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../main/services/datasets-ffmpeg.js';
import { openApp, type AppHarness } from '../support/app.js';
import { tempDir } from '../support/db.js';

const SHOTS = '/tmp/shots';
const W = 160;
const H = 120;
/** Column where the bar starts in clip frame t (it moves 8 px a frame, 8 px wide). */
const barAt = (t: number) => (8 * t) % W;

/** A y4m clip (4:2:0, the format Chromium's fake camera reads): dark, with a bright vertical bar moving right. */
function writeY4m(file: string, frames: number): void {
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let t = 0; t < frames; t++) {
    const y = Buffer.alloc(W * H, 16);
    for (let r = 0; r < H; r++) y.fill(235, r * W + barAt(t), r * W + barAt(t) + 8);
    parts.push(Buffer.from('FRAME\n'), y, Buffer.alloc((W / 2) * (H / 2) * 2, 128));
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}

/** An mp4 of the same kind of scene (what a person would import), 2 s at 20 frames/s. */
function writeMp4(file: string): void {
  const n = 40;
  const rgb = new Uint8Array(n * W * H * 3).fill(20);
  for (let t = 0; t < n; t++) for (let r = 0; r < H; r++) rgb.fill(230, ((t * H + r) * W + ((4 * t) % W)) * 3, ((t * H + r) * W + ((4 * t) % W) + 8) * 3);
  const p = spawnSync(ffmpegPath(), ['-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-r', '20', '-i', 'pipe:0', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', file], { input: rgb });
  expect(p.status, p.stderr?.toString()).toBe(0);
}

let dir: string;
let app: AppHarness;
let clip: string;

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  dir = tempDir('predlab-capture-');
  const y4m = path.join(dir, 'bar.y4m');
  writeY4m(y4m, 20);
  clip = path.join(dir, 'bar.mp4');
  writeMp4(clip);
  app = await openApp({
    args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`],
    chooseImportSource: async (kind) => (kind === 'video' ? clip : null),
  });
}, 180_000);
afterAll(async () => app?.close());

describe('Video page: capture from a camera', () => {
  it('creates a dataset and records a clip into it; the frames are stored at the dataset size', async () => {
    const { page } = app;
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('ds-empty').waitFor();
    await page.screenshot({ path: `${SHOTS}/H1-empty.png`, fullPage: true });
    await page.getByTestId('ds-name').fill('webcam');
    await page.getByTestId('ds-size').selectOption('0'); // 64 x 80
    await page.getByTestId('ds-fps').fill('10');
    await page.getByTestId('ds-create').click();
    await page.getByTestId('ds-row-webcam').waitFor();

    await page.getByTestId('cam-start').click();
    await page.getByTestId('cam-preview').waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid=cam-preview]') as HTMLVideoElement | null)?.videoWidth === 160, undefined, { timeout: 30_000 });
    expect(await page.getByTestId('cam-select').locator('option').count()).toBeGreaterThan(1); // the fake camera is listed by name
    await page.getByTestId('cam-record').click();
    // About 2.5 s at 10 frames/s: more than two chunks of 10 frames, then the rest on stop.
    await page.waitForFunction(() => /\((2[5-9]|[3-9]\d) frames\)/.test(document.querySelector('[data-testid=cam-length]')?.textContent ?? ''), undefined, { timeout: 60_000 });
    // The page shows the stored frame at the dataset's size (drawn: every pixel opaque, a blank canvas has none).
    const shown = await page.evaluate(() => {
      const c = document.querySelector('[data-testid=cam-stored]') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let opaque = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] === 255) opaque++;
      return { w: c.width, h: c.height, opaque };
    });
    expect(shown).toEqual({ w: 80, h: 64, opaque: 80 * 64 });
    await page.screenshot({ path: `${SHOTS}/H1-recording.png`, fullPage: true });
    await page.getByTestId('cam-stop').click();
    await expect.poll(() => page.getByTestId('ds-notice').textContent(), { timeout: 30_000 }).toMatch(/Saved recording \d+: \d+ frames/);

    // The real SQLite file: one complete recording, frames as the page said.
    const notice = (await page.getByTestId('ds-notice').textContent())!;
    const said = Number(/: (\d+) frames/.exec(notice)![1]);
    const rec = app.db.prepare("SELECT r.id, r.frames, r.status, r.source, r.file, d.height, d.width FROM recordings r JOIN datasets d ON d.id = r.dataset_id WHERE d.name = 'webcam'").get() as { id: number; frames: number; status: string; source: string; file: string; height: number; width: number };
    expect(rec).toMatchObject({ frames: said, status: 'complete', height: 64, width: 80 });
    expect(said).toBeGreaterThanOrEqual(25);
    expect(rec.source).toMatch(/^camera: /);
    // The frames on disk: exactly frames x 64 x 80 x 3 bytes, each a dark frame with one bright
    // vertical bar (the same in every row), and the bar moves between frames.
    const bytes = fs.readFileSync(path.join(app.dataDir, rec.file));
    const fb = 64 * 80 * 3;
    expect(bytes.length).toBe(rec.frames * fb);
    const barColumns: number[] = [];
    for (let f = 0; f < rec.frames; f++) {
      const frame = bytes.subarray(f * fb, (f + 1) * fb);
      const lum = (y: number, x: number) => frame[(y * 80 + x) * 3]!;
      const bright = Array.from({ length: 80 }, (_, x) => x).filter((x) => lum(32, x) > 128);
      // The bar is 8 px of 160 at 120 high: about 4 px at 64 high (none while it is in the cropped margin).
      expect(bright.length).toBeLessThanOrEqual(6);
      for (const x of bright) expect(Math.abs(lum(5, x) - lum(60, x))).toBeLessThan(40);
      if (bright.length) barColumns.push(bright[0]!);
    }
    expect(barColumns.length).toBeGreaterThan(rec.frames / 2);
    expect(new Set(barColumns).size).toBeGreaterThan(3);

    // The page lists it.
    await page.getByTestId(`rec-${rec.id}`).waitFor();
    expect(await page.getByTestId(`rec-${rec.id}`).textContent()).toContain(String(rec.frames));
  });

  it('imports a video file through the page, with progress, into the same dataset', async () => {
    const { page } = app;
    await page.getByTestId('ds-import-video').click();
    const job = page.locator('[data-testid^=job-]').first();
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(await job.textContent()).toMatch(/Imported 20 frames from bar\.mp4/);
    const recs = app.db.prepare("SELECT r.frames, r.source FROM recordings r JOIN datasets d ON d.id = r.dataset_id WHERE d.name = 'webcam' ORDER BY r.id").all() as { frames: number; source: string }[];
    expect(recs).toHaveLength(2);
    expect(recs[1]).toEqual({ frames: 20, source: clip }); // 2 s at the dataset's 10 frames/s
    await page.locator('[data-testid=ds-recordings] tbody tr').nth(1).waitFor();
    await page.screenshot({ path: `${SHOTS}/H1-after-import.png`, fullPage: true });
  });
});

describe('Video page: export and delete', () => {
  it('exports HDF5 into the chosen folder, then deletes the dataset after asking', async () => {
    const { page } = app;
    await page.getByTestId('ds-export-hdf5').click();
    const job = page.locator('[data-testid^=job-]', { hasText: 'Export to' });
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    expect(await job.textContent()).toMatch(/X \(\d+, 64, 80, 3\) uint8 and sources \(2 recordings\)/);
    expect(fs.statSync(path.join(app.exportDir, 'webcam.h5')).size).toBeGreaterThan(0);

    const folder = path.join(app.dataDir, 'datasets', String((app.db.prepare("SELECT id FROM datasets WHERE name = 'webcam'").get() as { id: number }).id));
    expect(fs.existsSync(folder)).toBe(true);
    await page.getByTestId('ds-delete-webcam').click();
    expect(await page.getByTestId('ds-confirm').textContent()).toMatch(/Delete dataset webcam: 2 recording\(s\), \d+ frames/);
    // Keeping it changes nothing.
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect(await page.getByTestId('ds-confirm').count()).toBe(0);
    expect(app.db.prepare("SELECT count(*) AS n FROM datasets WHERE name = 'webcam'").get()).toEqual({ n: 1 });
    await page.getByTestId('ds-delete-webcam').click();
    await page.getByTestId('ds-confirm-delete').click();
    await expect.poll(() => page.getByTestId('ds-notice').textContent()).toMatch(/Deleted 'webcam': 2 recording\(s\)/);
    await page.getByTestId('ds-empty').waitFor();
    expect(app.db.prepare('SELECT count(*) AS n FROM recordings').get()).toEqual({ n: 0 });
    expect(fs.existsSync(folder)).toBe(false);
  });
});

describe('Video page: a denied or missing camera', () => {
  it('no camera: says so and offers the import instead', async () => {
    const none = await openApp({ args: [] });
    try {
      const { page } = none;
      await page.getByTestId('nav-datasets').click();
      await page.getByTestId('ds-name').fill('nocam');
      await page.getByTestId('ds-create').click();
      await page.getByTestId('cam-start').click();
      await page.getByTestId('cam-error').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('cam-error').textContent()).toMatch(/No camera was found.*import a video file or a folder of images instead/);
      expect(await page.getByTestId('ds-import-video').isEnabled()).toBe(true);
    } finally {
      await none.close();
    }
  });

  it('denied: says what happened and offers the import instead', async () => {
    const denied = await openApp({ args: ['--use-fake-device-for-media-stream', '--deny-permission-prompts'] });
    try {
      const { page } = denied;
      await page.getByTestId('nav-datasets').click();
      await page.getByTestId('ds-name').fill('blocked');
      await page.getByTestId('ds-create').click();
      await page.getByTestId('cam-start').click();
      await page.getByTestId('cam-error').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('cam-error').textContent()).toMatch(/not allowed to use the camera.*import a video file or a folder of images instead/);
      expect(await page.getByTestId('cam-start').textContent()).toBe('Try the camera again');
      expect(await page.getByTestId('ds-import-video').isEnabled()).toBe(true);
      expect(await page.getByTestId('cam-record').count()).toBe(0);
      await page.screenshot({ path: `${SHOTS}/H1-denied.png`, fullPage: true });
    } finally {
      await denied.close();
    }
  });
});
