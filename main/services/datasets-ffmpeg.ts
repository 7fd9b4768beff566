/**
 * ffmpeg for video datasets: the binary comes from @ffmpeg-installer/ffmpeg, whose per-platform
 * npm packages ship it (Linux, macOS, Windows), so nothing needs to be on the PATH. Frames go
 * through pipes as raw RGB (rgb24), never through temporary files.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { PredlabError } from '../errors.js';
import { unpackedPath } from '../packaged-paths.js';

let binary: string | null = null;

/** Path of the ffmpeg binary (resolved at first use, so bundles find it in node_modules). */
export function ffmpegPath(): string {
  if (binary) return binary;
  let p: string;
  try {
    p = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (e) {
    throw new PredlabError('unavailable', `No ffmpeg for this platform (${process.platform}-${process.arch}) is installed: ${String((e as Error)?.message ?? e)}. Reinstall PredLab's packages (npm ci).`);
  }
  // In a packaged app the binary is unpacked beside the asar (electron-builder asarUnpack); nothing runs from inside it.
  p = unpackedPath(p);
  if (process.platform !== 'win32') {
    try {
      fs.accessSync(p, fs.constants.X_OK);
    } catch {
      // Package managers that skip install scripts leave the binary without its execute bit.
      fs.chmodSync(p, 0o755);
    }
  }
  return (binary = p);
}

export interface VideoProbe {
  /** Displayed size (after the rotation a phone may record). */
  width: number;
  height: number;
  durationSec: number | null;
  fps: number | null;
}

/** Last meaningful lines of ffmpeg's log, for error messages. */
const tail = (log: string) =>
  log
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Input|Output|Stream mapping|Press|\[.*\] ?$)/.test(l))
    .slice(-2)
    .join(' / ')
    .slice(0, 400);

function run(args: string[], signal?: AbortSignal): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpegPath(), args, { stdio: ['ignore', 'ignore', 'pipe'], signal });
    let log = '';
    p.stderr.on('data', (d: Buffer) => (log = (log + d.toString('utf8')).slice(-64_000)));
    p.on('error', (e) => reject(e.name === 'AbortError' ? cancelled() : new PredlabError('unavailable', `Cannot run ffmpeg (${ffmpegPath()}): ${e.message}`)));
    p.on('close', (code) => resolve({ code, log }));
  });
}

export const cancelled = () => new PredlabError('invalid-argument', 'Cancelled: nothing was stored.');

/** Size, duration and rate of the first video stream of a file; a clear error if there is none. */
export async function probeVideo(file: string, signal?: AbortSignal): Promise<VideoProbe> {
  const { log } = await run(['-hide_banner', '-nostdin', '-i', file], signal);
  const stream = /Stream #\d+:\d+[^\n]*?: Video: [^\n]*?, (\d{1,5})x(\d{1,5})\b/.exec(log);
  if (!stream || Number(stream[1]) === 0 || Number(stream[2]) === 0) {
    const reason = /Invalid data found|could not find codec|moov atom not found|End of file/i.test(log) ? 'it is damaged, empty or not a video' : tail(log) || 'ffmpeg found no video stream';
    throw new PredlabError('invalid-argument', `Cannot read ${file} as a video: ${reason}. Nothing was stored.`);
  }
  let width = Number(stream[1]);
  let height = Number(stream[2]);
  // ffmpeg turns rotated (phone) video upright while decoding: report the upright size.
  const rotate = /rotate\s*:\s*(-?\d+)/.exec(log) ?? /rotation of (-?\d+)(?:\.\d+)? degrees/.exec(log);
  if (rotate && Math.abs(Number(rotate[1])) % 180 === 90) [width, height] = [height, width];
  const d = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(log);
  const fps = /, (\d+(?:\.\d+)?) fps/.exec(stream[0] + log.slice(stream.index + stream[0].length).split('\n')[0]);
  return {
    width,
    height,
    durationSec: d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : null,
    fps: fps ? Number(fps[1]) : null,
  };
}

export interface DecodeSpec {
  /** ffmpeg input arguments (e.g. ['-i', file], or a concat list of images). */
  input: string[];
  /** Video filter producing frames of exactly width x height. */
  filter: string;
  width: number;
  height: number;
  /** Frames handed over at a time. */
  chunkFrames: number;
  /** Stop (as an error) past this many frames. */
  maxFrames: number;
  signal?: AbortSignal;
}

/**
 * Decode to raw RGB frames, handing over `chunkFrames` at a time (the last chunk may be
 * shorter). ffmpeg waits while a chunk is handled: memory stays at about one chunk.
 */
export function decodeFrames(spec: DecodeSpec, onChunk: (frames: Uint8Array, count: number) => Promise<void> | void): Promise<number> {
  const fb = spec.width * spec.height * 3;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...spec.input, '-an', '-sn', '-vf', spec.filter, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const buf = new Uint8Array(spec.chunkFrames * fb);
    let filled = 0;
    let total = 0;
    let log = '';
    let failure: Error | null = null;
    let chain = Promise.resolve();
    const fail = (e: Error) => {
      failure ??= e;
      p.kill('SIGKILL');
    };
    const onAbort = () => fail(cancelled());
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    if (spec.signal?.aborted) onAbort();
    const flush = (count: number) => {
      const frames = buf.slice(0, count * fb);
      total += count;
      p.stdout.pause();
      chain = chain
        .then(() => (failure ? undefined : onChunk(frames, count)))
        .then(() => void p.stdout.resume())
        .catch((e: Error) => fail(e));
    };
    p.stderr.on('data', (d: Buffer) => (log = (log + d.toString('utf8')).slice(-16_000)));
    p.stdout.on('data', (d: Buffer) => {
      let off = 0;
      while (off < d.length && !failure) {
        const n = Math.min(d.length - off, buf.length - filled);
        buf.set(d.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === buf.length) {
          if (total + spec.chunkFrames > spec.maxFrames) return fail(new PredlabError('invalid-argument', `The video has more than ${spec.maxFrames} frames at this rate (the limit of one recording); cut it or lower the frame rate. Nothing was stored.`));
          flush(spec.chunkFrames);
          filled = 0;
        }
      }
    });
    p.on('error', (e) => fail(new PredlabError('unavailable', `Cannot run ffmpeg (${ffmpegPath()}): ${e.message}`)));
    p.on('close', (code) => {
      spec.signal?.removeEventListener('abort', onAbort);
      if (!failure && code !== 0) failure = new PredlabError('invalid-argument', `ffmpeg could not decode the video: ${tail(log) || `exit code ${code}`}. Nothing was stored.`);
      if (!failure && filled % fb !== 0) failure = new PredlabError('internal', `ffmpeg returned a partial frame (${filled % fb} of ${fb} bytes).`);
      if (!failure && filled > 0) {
        if (total + filled / fb > spec.maxFrames) failure = new PredlabError('invalid-argument', `The video has more than ${spec.maxFrames} frames at this rate (the limit of one recording); cut it or lower the frame rate. Nothing was stored.`);
        else flush(filled / fb);
      }
      void chain.then(() => (failure ? reject(failure) : resolve(total)));
    });
  });
}

export type VideoFormat = 'mp4' | 'webm';

/** Encode raw RGB frames into an MP4 (H.264) or WebM (VP9) file; `frames` yields chunks. */
export async function encodeVideo(out: string, spec: { width: number; height: number; fps: number; format: VideoFormat }, frames: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
  const codec = spec.format === 'mp4' ? ['-c:v', 'libx264', '-preset', 'medium', '-crf', '18', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'] : ['-c:v', 'libvpx-vp9', '-crf', '30', '-b:v', '0', '-pix_fmt', 'yuv420p'];
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${spec.width}x${spec.height}`, '-r', String(spec.fps), '-i', 'pipe:0', ...codec, out];
  const p = spawn(ffmpegPath(), args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let log = '';
  p.stderr.on('data', (d: Buffer) => (log = (log + d.toString('utf8')).slice(-16_000)));
  const closed = new Promise<number | null>((resolve, reject) => {
    p.on('error', (e) => reject(new PredlabError('unavailable', `Cannot run ffmpeg (${ffmpegPath()}): ${e.message}`)));
    p.on('close', resolve);
  });
  p.stdin.on('error', () => undefined); // reported through the exit code and log below
  try {
    for await (const chunk of frames) {
      if (signal?.aborted) throw cancelled();
      if (!p.stdin.write(chunk)) await new Promise<void>((r) => p.stdin.once('drain', r).once('close', r));
    }
    p.stdin.end();
  } catch (e) {
    p.kill('SIGKILL');
    await closed.catch(() => null);
    throw e;
  }
  const code = await closed;
  if (code !== 0) throw new PredlabError('storage', `ffmpeg could not write ${out}: ${tail(log) || `exit code ${code}`}.`);
}
