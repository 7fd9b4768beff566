/** Training video read from recording files on demand: equal to the same video in memory, with a bounded buffer. */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../native-models/backend.js';
import { saveCheckpoint } from '../../native-models/checkpoint.js';
import { predNetConfigSchema } from '../../native-models/prednet/config.js';
import { PredNet } from '../../native-models/prednet/model.js';
import { batchOf, frameBytesOf, sequenceStarts, splitByRecording, type VideoData } from '../../native-models/training/data.js';
import { openRecordingFiles, type RecordingFile } from '../../native-models/training/file-frames.js';
import { copyLastFrameLoss } from '../../native-models/training/preview.js';
import { movingBarVideo } from '../../native-models/training/synthetic.js';
import { runTraining, trainOptionsSchema, type TrainEvent } from '../../native-models/training/trainer.js';
import { tempDir } from '../support/db.js';

let dir: string;

/** One raw file per recording, as the dataset store writes them; recordings of unequal length. */
function writeRecordings(v: VideoData, lengths: number[]): RecordingFile[] {
  const fb = frameBytesOf(v);
  let f = 0;
  return lengths.map((n, i) => {
    const file = path.join(dir, `rec-${v.height}-${i}.u8`);
    fs.writeFileSync(file, v.frames.subarray(f * fb, (f + n) * fb));
    f += n;
    return { file, frames: n };
  });
}

/** The same frames in memory with recording ids 0, 1, ... by the given lengths. */
function withRecordings(v: VideoData, lengths: number[]): VideoData {
  const recordings = new Int32Array(v.count);
  let f = 0;
  lengths.forEach((n, i) => {
    recordings.fill(i, f, f + n);
    f += n;
  });
  return { ...v, recordings };
}

beforeAll(() => {
  dir = tempDir('predlab-train-data-');
});

describe('file-backed training video', () => {
  const lengths = [12, 7, 20, 3, 18];
  const video = movingBarVideo({ height: 8, width: 12, channels: 3, recordings: 1, framesPerRecording: 60, seed: 4 });

  it('reads what the in-memory video holds: frames, sequences, splits, batches, baseline', () => {
    const memory = withRecordings(video, lengths);
    const files = openRecordingFiles(writeRecordings(video, lengths), video);
    expect(files.count).toBe(60);
    expect([...files.recordings]).toEqual([...memory.recordings]);
    // Reads inside one recording and across recordings alike.
    for (const [s, n] of [[0, 60], [10, 5], [11, 3], [19, 24], [59, 1], [30, 0]] as const) expect(files.read(s, n)).toEqual(memory.frames.subarray(s * 288, (s + n) * 288));
    const nt = 5;
    expect(sequenceStarts(files.recordings, nt)).toEqual(sequenceStarts(memory.recordings, nt));
    expect(splitByRecording(files, nt, 0.3, 7)).toEqual(splitByRecording(memory, nt, 0.3, 7));
    const starts = sequenceStarts(memory.recordings, nt);
    expect(batchOf(files, starts, nt)).toEqual(batchOf(memory, starts, nt));
    expect(copyLastFrameLoss(files, starts, nt)).toBe(copyLastFrameLoss(memory, starts, nt));
    expect(() => files.read(58, 3)).toThrow(/Frames 58..61 lie outside the video \(60 frames\)/);
  });

  it('holds one sequence buffer however large the dataset; larger reads are refused', () => {
    // 40 recordings of 200 frames of 32x40x3: 30 MB on disk.
    const big = movingBarVideo({ height: 32, width: 40, channels: 3, recordings: 40, framesPerRecording: 200, seed: 5 });
    const fb = frameBytesOf(big);
    const files = openRecordingFiles(writeRecordings(big, Array(40).fill(200)), big, { bufferBytes: 16 * fb });
    const nt = 10;
    let sum = 0;
    for (const s of sequenceStarts(files.recordings, nt)) sum += batchOf(files, [s], nt)[0]!;
    expect(sum).toBeGreaterThan(0);
    expect(files.bytesRead()).toBe(40 * 191 * nt * fb); // every sequence read once, nothing more
    expect(files.bufferBytes()).toBe(nt * fb); // the reader's memory: one sequence, not the 30 MB
    expect(() => files.read(0, 17)).toThrow("A read of 17 frames (65280 bytes) exceeds the reader's 61440-byte buffer; use shorter sequences.");
    expect(files.bufferBytes()).toBe(nt * fb);
  });

  it('a file shorter than its recorded frames is refused before any read', () => {
    const recs = writeRecordings(video, lengths);
    fs.truncateSync(recs[2]!.file, 288 * 19);
    expect(() => openRecordingFiles(recs, video)).toThrow(`${recs[2]!.file} holds 19 frames, fewer than its 20 recorded; the dataset was changed outside PredLab.`);
    expect(() => openRecordingFiles([{ file: path.join(dir, 'gone.u8'), frames: 3 }], video)).toThrow(/is missing/);
  });

  it('training from the files equals training from memory, step for step', async () => {
    await initBackend();
    const cfg = predNetConfigSchema.parse({ height: 8, width: 12, stackSizes: [3, 4], rStackSizes: [3, 4], aFiltSizes: [3], ahatFiltSizes: [3, 3], rFiltSizes: [3, 3] });
    const net = PredNet.create(cfg, 2);
    await saveCheckpoint(path.join(dir, 'init'), net, { source: { kind: 'init' } });
    net.dispose();
    const options = trainOptionsSchema.parse({ nt: 5, batchSize: 2, epochs: 2, samplesPerEpoch: 6, valSequences: 4, valFraction: 0.3 });
    const run = async (data: Parameters<typeof runTraining>[0]['data'], out: string) => {
      const events: TrainEvent[] = [];
      const meta = await runTraining({ from: path.join(dir, 'init'), outDir: path.join(dir, out), data, dataset: {}, options }, (e) => events.push(e));
      return { meta, events };
    };
    const a = await run(withRecordings(video, lengths), 'mem');
    const b = await run(openRecordingFiles(writeRecordings(video, lengths), video), 'files');
    const losses = (r: typeof a) => r.events.flatMap((e) => (e.type === 'progress' ? [e.loss] : []));
    expect(losses(a)).toHaveLength(6);
    expect(losses(b)).toEqual(losses(a));
    expect(b.meta.history).toEqual(a.meta.history);
    const previews = b.events.filter((e) => e.type === 'preview');
    expect(previews.map((p) => p.epoch)).toEqual([0, 1, 2]); // before training and after each epoch
    expect(previews[0]).toMatchObject({ width: 12, height: 8, channels: 3, frames: 5 });
    expect(b.events.find((e) => e.type === 'baseline')).toEqual(a.events.find((e) => e.type === 'baseline'));
  });
});
