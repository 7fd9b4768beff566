/**
 * A PredNet checkpoint as a battery Responder: runs sequences through the tfjs PredNet step by
 * step and records the probed layers' R/E/A/Ahat (channels-first, as the seam wants), with the
 * top-down input optionally zeroed (the feedback ablation); trainOn continues training a copy
 * with PredNet's own loss (native-models/training/loss.ts), for the sequence-learning experiment.
 * Recordings run on ONNX Runtime where it starts (the whole sequence in one call, several times
 * faster than tfjs step by step), else on tfjs; PREDLAB_INFERENCE=onnxruntime|tfjs forces one.
 */
import * as tf from '@tensorflow/tfjs-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadCheckpoint, WEIGHTS_FILE } from '../checkpoint.js';
import { disposeState, PredNet, type State } from '../prednet/model.js';
import { describeOnnx, OnnxPredNet } from '../onnx/session.js';
import { layerWeights, timeWeights } from '../training/loss.js';
import { openStepEngine, type StepEngine } from '../training/step-engine.js';
import type { Probe, Recording, Responder, RunOptions } from '../../paradigms/battery-types.js';

/** Stated limits: sequences per forward pass (memory) and per call, frames per sequence, training steps. */
export const RESPONDER_LIMITS = { batch: 16, sequences: 4096, frames: 200, trainSteps: 10_000, trainBatch: 8 } as const;

export class PredNetResponder implements Responder {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly layers: number;

  constructor(
    readonly net: PredNet,
    readonly name: string,
    /** SHA-256 of the checkpoint's weights.bin; absent for networks made in memory (a trained copy). */
    readonly cacheKey?: string,
    /** A trained copy: the training engine that trained it (step-engine.ts's detail). */
    readonly trainedWith?: string,
  ) {
    this.height = net.config.height;
    this.width = net.config.width;
    this.channels = net.config.stackSizes[0]!;
    this.layers = net.layers;
  }

  static fromCheckpoint(dir: string, name = dir): PredNetResponder {
    const loaded = loadCheckpoint(dir);
    tf.dispose(loaded.optimizer.map((w) => w.tensor));
    const key = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, WEIGHTS_FILE))).digest('hex');
    return new PredNetResponder(loaded.net, name, key);
  }

  unitChannels(p: Probe): number {
    const c = this.net.config;
    if (!(Number.isInteger(p.layer) && p.layer >= 0 && p.layer < this.layers)) throw new RangeError(`Layer ${p.layer} does not exist; this PredNet has layers 0..${this.layers - 1}.`);
    return p.type === 'R' ? c.rStackSizes[p.layer]! : p.type === 'E' ? 2 * c.stackSizes[p.layer]! : c.stackSizes[p.layer]!;
  }

  private checkSequences(sequences: Float32Array[], frames: number): void {
    const per = frames * this.height * this.width * this.channels;
    if (sequences.length < 1 || sequences.length > RESPONDER_LIMITS.sequences) throw new RangeError(`Give 1 to ${RESPONDER_LIMITS.sequences} sequences; got ${sequences.length}.`);
    if (!(Number.isInteger(frames) && frames >= 1 && frames <= RESPONDER_LIMITS.frames)) throw new RangeError(`Sequences have 1 to ${RESPONDER_LIMITS.frames} frames; got ${frames}.`);
    sequences.forEach((s, i) => {
      if (s.length !== per) throw new RangeError(`Sequence ${i} has ${s.length} values; ${frames} frames of ${this.height}x${this.width}x${this.channels} are ${per}.`);
    });
  }

  private onnx: Promise<OnnxPredNet | null> | null = null;
  /** PREDLAB_INFERENCE as it was when this responder was made (the engine is chosen on first use). */
  private readonly forced = process.env.PREDLAB_INFERENCE;
  /** Why recordings run on tfjs, once ONNX Runtime was tried (null while it runs them). */
  tfjsReason: string | null = null;

  /** The ONNX Runtime model for recordings, or null (tfjs), decided once. */
  private onnxModel(): Promise<OnnxPredNet | null> {
    if (!this.onnx) {
      const forced = this.forced;
      if (forced === 'tfjs') {
        this.tfjsReason = 'PREDLAB_INFERENCE=tfjs';
        this.onnx = Promise.resolve(null);
      } else {
        this.onnx = OnnxPredNet.fromPredNet(this.net).catch((e: Error) => {
          if (forced === 'onnxruntime') throw new Error(`PREDLAB_INFERENCE=onnxruntime, but ONNX Runtime cannot run this model: ${e.message}`);
          this.tfjsReason = e.message.split('\n')[0]!;
          return null;
        });
      }
    }
    return this.onnx;
  }

  /** Which engine records units, e.g. "onnxruntime-node 1.30.0 (cpu, 2 threads)" or "tfjs (<why not ONNX Runtime>)". */
  async engine(): Promise<string> {
    const m = await this.onnxModel();
    return m ? describeOnnx(m.report) : `tfjs (${this.tfjsReason})`;
  }

  async run(sequences: Float32Array[], frames: number, options: RunOptions): Promise<Recording[][]> {
    this.checkSequences(sequences, frames);
    for (const p of options.probes) this.unitChannels(p);
    const onnx = await this.onnxModel();
    const out: Recording[][] = [];
    for (let n0 = 0; n0 < sequences.length; n0 += RESPONDER_LIMITS.batch) {
      const chunk = sequences.slice(n0, n0 + RESPONDER_LIMITS.batch);
      out.push(...(await (onnx ? this.runOnnx(onnx, chunk, frames, options) : this.runBatch(chunk, frames, options))));
    }
    return out;
  }

  private async runOnnx(model: OnnxPredNet, sequences: Float32Array[], T: number, options: RunOptions): Promise<Recording[][]> {
    const { height: H, width: W, channels: C } = this;
    const per = T * H * W * C;
    const batch = new Float32Array(sequences.length * per);
    sequences.forEach((s, n) => batch.set(s, n * per));
    const probes = options.probes.map((p) => ({ layer: p.layer, unit: p.type }));
    const maps = await model.runUnits(batch, [sequences.length, T, H, W, C], probes, { ablateFeedback: options.ablateFeedback ?? false });
    return sequences.map((_, n) =>
      options.probes.map((probe, k) => {
        const shape: Recording['shape'] = [T, this.unitChannels(probe), H / 2 ** probe.layer, W / 2 ** probe.layer];
        const size = shape[0] * shape[1] * shape[2] * shape[3];
        return { probe, shape, data: maps[k]!.slice(n * size, (n + 1) * size) };
      }),
    );
  }

  private async runBatch(sequences: Float32Array[], T: number, options: RunOptions): Promise<Recording[][]> {
    const { height: H, width: W, channels: C } = this;
    const N = sequences.length;
    const frameSize = H * W * C;
    // Per sequence, per probe: (T, c, h, w), filled step by step.
    const recs: Recording[][] = sequences.map(() =>
      options.probes.map((probe) => {
        const c = this.unitChannels(probe);
        const h = H / 2 ** probe.layer;
        const w = W / 2 ** probe.layer;
        return { probe, shape: [T, c, h, w], data: new Float32Array(T * c * h * w) };
      }),
    );
    let state: State = this.net.initialState(N);
    try {
      for (let t = 0; t < T; t++) {
        const batch = new Float32Array(N * frameSize);
        sequences.forEach((s, n) => batch.set(s.subarray(t * frameSize, (t + 1) * frameSize), n * frameSize));
        const next = tf.tidy(() => {
          const s = this.net.step(tf.tensor4d(batch, [N, H, W, C]), state, null, false, { ablateFeedback: options.ablateFeedback ?? false });
          // Channels-first, so one unit's map is contiguous.
          const recorded = options.probes.map((p) => tf.transpose(s.units[p.layer]![p.type], [0, 3, 1, 2]));
          return { state: s.state, recorded };
        });
        disposeState(state);
        state = next.state;
        for (let k = 0; k < options.probes.length; k++) {
          const values = (await next.recorded[k]!.data()) as Float32Array;
          next.recorded[k]!.dispose();
          const per = values.length / N;
          for (let n = 0; n < N; n++) recs[n]![k]!.data.set(values.subarray(n * per, (n + 1) * per), t * per);
        }
      }
    } finally {
      disposeState(state);
    }
    return recs;
  }

  /**
   * A copy of this network trained `steps` Adam steps on the sequences (PredNet's L0 loss, lr
   * 1e-3), on the training step engine (ONNX Runtime where it starts, else tfjs: step-engine.ts).
   */
  async trainOn(sequences: Float32Array[], frames: number, steps: number): Promise<Responder> {
    this.checkSequences(sequences, frames);
    if (frames < 2) throw new RangeError('Training needs sequences of at least 2 frames (the first step predicts nothing).');
    if (!(Number.isInteger(steps) && steps >= 1 && steps <= RESPONDER_LIMITS.trainSteps)) throw new RangeError(`Training steps must be 1 to ${RESPONDER_LIMITS.trainSteps}; got ${steps}.`);
    const weights = this.net.kerasWeights();
    const copy = PredNet.fromKeras(this.net.config, weights);
    tf.dispose([...weights.values()]);
    const { height: H, width: W, channels: C } = this;
    const per = frames * H * W * C;
    // Cycle through the sequences in batches, so every one is seen equally often.
    const B = Math.min(RESPONDER_LIMITS.trainBatch, sequences.length);
    let engine: StepEngine | null = null;
    let trainedWith = '';
    try {
      engine = await openStepEngine(copy, { batchSize: B, nt: frames, layerLoss: 'L0', layerW: layerWeights('L0', copy.layers), timeW: timeWeights(frames), workers: 1, checkpoint: 'off' }, [], this.name);
      for (let step = 0; step < steps; step++) {
        const data = new Float32Array(B * per);
        for (let b = 0; b < B; b++) data.set(sequences[(step * B + b) % sequences.length]!, b * per);
        const loss = await engine.step(data, 1e-3);
        if (!Number.isFinite(loss)) throw new Error(`Training ${this.name} diverged at step ${step + 1} (loss ${loss}).`);
      }
      await engine.sync();
      trainedWith = engine.detail;
    } catch (e) {
      copy.dispose();
      throw e;
    } finally {
      await engine?.close();
    }
    return new PredNetResponder(copy, `${this.name} + ${steps} training steps`, undefined, trainedWith);
  }

  dispose(): void {
    void this.onnx?.then((m) => m?.release()).catch(() => {});
    this.net.dispose();
  }
}
