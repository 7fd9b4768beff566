/**
 * Data-parallel gradients: tfjs-backend-wasm runs one thread in Node, so a batch is split across
 * threads. The calling thread computes the first share itself; each other share goes to a
 * gradient thread (grad-worker.ts) with its own backend and PredNet copy, whose weights it reads
 * from one SharedArrayBuffer the caller rewrites after every optimizer step. The batch loss is
 * the mean over sequences, so the batch gradient is the share gradients weighted by share size.
 */
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PredNetConfig } from '../prednet/config.js';
import type { PredNet } from '../prednet/model.js';
import { registerWasmLayoutKernels } from '../wasm-kernels.js';
import { lossAndGrads } from './gradients.js';

/** Most threads one training run uses (each holds a model copy and its share's activations). */
export const MAX_TRAINING_THREADS = 16;

export interface GradWorkerInit {
  config: PredNetConfig;
  backend: string;
  layerW: number[];
  timeW: number[];
  /** All trainable weights, concatenated in net.trainableVariables order. */
  weights: SharedArrayBuffer;
}
export type GradRequest = { type: 'step'; batch: Float32Array; sequences: number; nt: number; segment: number | null };
export type GradReply = { type: 'ready' } | { type: 'grads'; loss: number; grads: Float32Array; heapBytes: number | null } | { type: 'error'; message: string };

/** Backends whose kernels run on one thread here, so more threads help (tfjs-node is multi-threaded already). */
const SPLITTABLE = new Set(['wasm', 'cpu']);

/** How many threads a run uses, and why not more. */
export function trainingThreads(setting: 'auto' | number, batchSize: number, backend = tf.getBackend()): { threads: number; reason: string } {
  if (!SPLITTABLE.has(backend)) return { threads: 1, reason: `the ${backend} backend uses every core itself` };
  const cores = os.availableParallelism();
  const wanted = setting === 'auto' ? Math.min(cores, MAX_TRAINING_THREADS) : setting;
  const threads = Math.max(1, Math.min(wanted, batchSize));
  const reason = threads < wanted ? `at most one per sequence of the batch (${batchSize})` : setting === 'auto' ? `${cores} cores` : 'as asked';
  return { threads, reason };
}

/** Sequences per thread: as even as possible, the larger shares first. */
export function shareSizes(batch: number, threads: number): number[] {
  return Array.from({ length: threads }, (_, i) => Math.floor(batch / threads) + (i < batch % threads ? 1 : 0));
}

/** Size of this thread's WebAssembly heap (it only grows, so this is its peak); null off wasm. */
export function wasmHeapBytes(): number | null {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return b.wasm?.HEAPU8?.buffer.byteLength ?? null;
}

let live = 0;
/** Gradient threads currently running in this process (tests check none is left behind). */
export const liveGradientThreads = () => live;

function gradWorkerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  // Bundled, this module is inside dist/main/*.cjs and the worker is bundled beside it.
  return path.join(path.dirname(here), here.endsWith('.ts') ? 'grad-worker-dev.mjs' : 'grad-worker.cjs');
}

interface Thread {
  worker: Worker;
  /** The reply being waited for, if any. */
  pending: { resolve: (r: GradReply) => void; reject: (e: Error) => void } | null;
  failure: Error | null;
}

function startThread(init: GradWorkerInit): Thread {
  const t: Thread = { worker: new Worker(gradWorkerEntry(), { workerData: init }), pending: null, failure: null };
  live++;
  const fail = (e: Error) => {
    t.failure ??= e;
    t.pending?.reject(t.failure);
    t.pending = null;
  };
  t.worker.on('message', (m: GradReply) => {
    if (m.type === 'error') return fail(new Error(m.message));
    const p = t.pending;
    t.pending = null;
    p?.resolve(m);
  });
  t.worker.on('error', fail);
  t.worker.on('exit', (code) => {
    live--;
    fail(new Error(`A gradient thread stopped (exit code ${code}).`));
  });
  return t;
}

function request(t: Thread, message?: GradRequest, transfer: ArrayBuffer[] = []): Promise<GradReply> {
  if (t.failure) return Promise.reject(t.failure);
  return new Promise((resolve, reject) => {
    t.pending = { resolve, reject };
    if (message) t.worker.postMessage(message, transfer);
  });
}

export class GradientPool {
  private constructor(
    private readonly net: PredNet,
    private readonly threads: Thread[],
    private readonly weights: Float32Array,
    private readonly layerW: number[],
    private readonly timeW: number[],
  ) {}

  /** `threads` in all, the calling one included (1: no worker is started). Waits until every thread is ready. */
  static async open(net: PredNet, threads: number, layerW: number[], timeW: number[]): Promise<GradientPool> {
    if (tf.getBackend() === 'wasm') registerWasmLayoutKernels();
    const size = net.trainableVariables.reduce((n, v) => n + v.size, 0);
    const weights = new Float32Array(new SharedArrayBuffer(size * 4));
    const init: GradWorkerInit = { config: net.config, backend: tf.getBackend(), layerW, timeW, weights: weights.buffer as SharedArrayBuffer };
    const workers = threads > 1 ? Array.from({ length: threads - 1 }, () => startThread(init)) : [];
    const pool = new GradientPool(net, workers, weights, layerW, timeW);
    try {
      await Promise.all(workers.map((t) => request(t)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    pool.publishWeights();
    return pool;
  }

  private heaps: (number | null)[] = [];

  /** WebAssembly heap of every thread after the last step (this thread first); null off wasm. */
  heapBytes(): (number | null)[] {
    return [wasmHeapBytes(), ...this.heaps];
  }

  get size(): number {
    return this.threads.length + 1;
  }

  /** Copy the net's current weights to the gradient threads (after every optimizer step). */
  publishWeights(): void {
    if (this.threads.length === 0) return;
    let at = 0;
    for (const v of this.net.trainableVariables) {
      this.weights.set(v.dataSync() as Float32Array, at);
      at += v.size;
    }
  }

  /**
   * Loss and gradient of a batch (B, nt, H, W, C) as flat float32 data. `segmentOf(n)`: the
   * checkpoint segment for a share of n sequences (null: none). Gradients in net.trainableVariables order.
   */
  async lossAndGrads(batch: Float32Array, sequences: number, nt: number, segmentOf: (n: number) => number | null): Promise<{ loss: number; grads: tf.Tensor[] }> {
    const cfg = this.net.config;
    const frame = cfg.height * cfg.width * cfg.stackSizes[0]!;
    const shares = shareSizes(sequences, this.size);
    const vars = this.net.trainableVariables;
    // Start the other threads first, then compute the first share here while they run.
    let at = shares[0]! * nt * frame;
    const replies = this.threads.map((t, i) => {
      const n = shares[i + 1]!;
      const part = batch.slice(at, (at += n * nt * frame));
      return request(t, { type: 'step', batch: part, sequences: n, nt, segment: segmentOf(n) }, [part.buffer]);
    });
    // Keep the other requests' rejections handled while this thread computes.
    const settled = Promise.allSettled(replies);
    const n0 = shares[0]!;
    const r0 = tf.tidy(() => {
      const x = tf.tensor5d(batch.subarray(0, n0 * nt * frame), [n0, nt, cfg.height, cfg.width, cfg.stackSizes[0]!]);
      const r = lossAndGrads(this.net, x, this.layerW, this.timeW, segmentOf(n0));
      return [r.loss, ...r.grads];
    });
    // Awaited read (the WebGPU engine has no synchronous one in Node).
    const local = { loss: (await r0[0]!.data())[0]!, grads: r0.slice(1) };
    r0[0]!.dispose();
    if (this.threads.length === 0) return local;
    const results = await settled;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      tf.dispose(local.grads);
      throw failed.reason;
    }
    const others = results.map((r) => (r as PromiseFulfilledResult<GradReply>).value as Extract<GradReply, { type: 'grads' }>);
    const w = shares.map((n) => n / sequences);
    const grads = tf.tidy(() => {
      let off = 0;
      return vars.map((v, i) => {
        const parts = [tf.mul(local.grads[i]!, w[0]!)];
        others.forEach((o, j) => parts.push(tf.mul(tf.tensor(o.grads.subarray(off, off + v.size), v.shape), w[j + 1]!)));
        off += v.size;
        return tf.addN(parts);
      });
    });
    tf.dispose(local.grads);
    this.heaps = others.map((o) => o.heapBytes);
    const loss = others.reduce((s, o, j) => s + o.loss * w[j + 1]!, local.loss * w[0]!);
    return { loss, grads };
  }

  /** One optimizer step on a batch: its gradient from every thread, the optimizer applied here, the new weights published. Returns the loss. */
  async trainStep(optimizer: tf.Optimizer, batch: Float32Array, sequences: number, nt: number, segmentOf: (n: number) => number | null): Promise<number> {
    const { loss, grads } = await this.lossAndGrads(batch, sequences, nt, segmentOf);
    const vars = this.net.trainableVariables;
    try {
      optimizer.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, grads[i]!])) as unknown as Parameters<tf.Optimizer['applyGradients']>[0]);
    } finally {
      tf.dispose(grads);
    }
    this.publishWeights();
    return loss;
  }

  /** Stop every gradient thread (on every exit path of a run). */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
