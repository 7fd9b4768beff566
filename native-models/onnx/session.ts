/**
 * PredNet inference through ONNX Runtime (onnxruntime-node): builds the graph of a checkpoint
 * once per output mode, picks the fastest execution provider that starts on this machine (CUDA on
 * Linux where its provider libraries were installed, DirectML on Windows, CoreML on macOS, else
 * the CPU) and runs whole sequences in one call.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { InferenceSession as Session, Tensor as OrtTensor } from 'onnxruntime-node';
import { kerasWeightShapes, layerCount, type OutputMode, type PredNetConfig } from '../prednet/config.js';
import type { PredNet } from '../prednet/model.js';
import { EXTRAP_FROM, FRAMES, OUTPUT, checkWeights, outputDims, sequenceModel, unitsModel, unitsOutput, type KerasWeights, type UnitProbe } from './prednet-graph.js';
import { ortCall } from './ort-gate.js';
import { ortTelemetryOffByDefault } from './telemetry.js';
import { PredlabError } from '../errors.js';

type Ort = typeof import('onnxruntime-node');

/** Accelerated providers worth trying on each platform, best first (the CPU is always last). */
const PLATFORM_PROVIDERS: Record<string, string[]> = { linux: ['cuda'], win32: ['dml'], darwin: ['coreml'] };
export const KNOWN_PROVIDERS = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const;

export interface OnnxOptions {
  /**
   * Providers to try, in order, before the CPU (which is always the fallback). Default: the
   * platform's accelerator (cuda / dml / coreml). 'webgpu' is tried only when named here: in
   * onnxruntime-node 1.30 its Conv miscomputes some channel counts (checked on SwiftShader: a
   * 3x3 Conv 6 -> 4 channels off by 20, 9 -> 12 by 35, while 3 -> 3 and 14 -> 20 are right;
   * cf. onnxruntime issue 29651), and without a GPU it may pick a software adapter.
   */
  providers?: string[];
  /** Threads for one operator; default: every core (os.availableParallelism()). */
  threads?: number;
  /**
   * Let idle pool threads spin (ONNX Runtime's default). Off by default: on a machine shared
   * with other work (the UI, a training job) spinning threads take the cores from it, and on this
   * 2-core machine under load inference was 1.5-3x slower with spinning than without.
   */
  spin?: boolean;
}

export interface ProviderReport {
  /** The execution provider the sessions run on. */
  provider: string;
  /** onnxruntime-node's version. */
  version: string;
  /** Intra-op threads. */
  threads: number;
  /** Providers tried first that did not start, and why. */
  skipped: { provider: string; reason: string }[];
}

let ortModule: Promise<Ort> | null = null;
const require = createRequire(import.meta.url);

/**
 * Why a provider cannot start here, checked before asking ONNX Runtime (which logs its own
 * failure to stderr): not in this build, or (CUDA) its libraries were never installed.
 */
export function providerMissing(ort: Ort, provider: string): string | null {
  const listed = ort.listSupportedBackends().find((b) => b.name === provider);
  if (!listed) return `not in onnxruntime-node's build for ${os.platform()}/${os.arch()}`;
  if (provider === 'cuda' && !listed.bundled) {
    const bin = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', os.platform(), os.arch());
    const lib = os.platform() === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    if (!fs.existsSync(path.join(bin, lib))) return 'its provider library is not installed (needs CUDA 12; ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install)';
  }
  return null;
}

/** Loads onnxruntime-node once; a clear error where its native library cannot load. */
export function loadOrt(): Promise<Ort> {
  ortTelemetryOffByDefault();
  ortModule ??= import('onnxruntime-node').catch((e: unknown) => {
    ortModule = null;
    const err = e as NodeJS.ErrnoException;
    const missing = err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND';
    throw new Error(missing ? 'onnxruntime-node is not installed' : `onnxruntime-node failed to load: ${String(err.message).split('\n')[0]}`);
  });
  return ortModule;
}

/** Session options without providers: full graph optimisation, threads, spinning. */
export function baseSessionOptions(options: OnnxOptions = {}): Session.SessionOptions & { intraOpNumThreads: number } {
  return {
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    intraOpNumThreads: options.threads ?? Math.min(256, os.availableParallelism()),
    extra: { session: { intra_op: { allow_spinning: options.spin ? '1' : '0' } } },
  };
}

function modeKey(mode: OutputMode): string {
  return typeof mode === 'string' ? mode : `${mode.unit}${mode.layer}`;
}

/**
 * A session for `model` on the first execution provider that runs it: the asked ones (default:
 * the platform's accelerator), then the CPU; the report names the one used and why others were
 * skipped. `what` names the graph in the error when none runs it.
 */
export async function sessionOnFirstProvider(
  ort: Ort,
  model: Uint8Array,
  base: Session.SessionOptions & { intraOpNumThreads: number },
  providers: string[] | undefined,
  what: string,
): Promise<{ session: Session; sessionOptions: Session.SessionOptions; report: ProviderReport }> {
  const wanted = (providers ?? PLATFORM_PROVIDERS[os.platform()] ?? []).filter((p) => p !== 'cpu');
  const skipped: ProviderReport['skipped'] = [];
  for (const provider of [...wanted, 'cpu']) {
    const missing = provider === 'cpu' ? null : providerMissing(ort, provider);
    if (missing) {
      skipped.push({ provider, reason: missing });
      continue;
    }
    const sessionOptions: Session.SessionOptions = { ...base, executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'] };
    try {
      const session = await ortCall(() => ort.InferenceSession.create(model, sessionOptions));
      return { session, sessionOptions, report: { provider, version: ort.env.versions.common, threads: base.intraOpNumThreads, skipped } };
    } catch (e) {
      if (e instanceof PredlabError) throw e; // stopped (the gate closed), not a provider's failure
      skipped.push({ provider, reason: String((e as Error).message).split('\n')[0]! });
    }
  }
  throw new Error(`ONNX Runtime could not run ${what} on any provider: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`);
}

/** Unit-recording sessions kept at once (each holds a copy of the weights in ONNX Runtime). */
const UNIT_SESSIONS = 12;

export interface RunOptions {
  /** From this step on, the previous prediction is fed as the input (as the tfjs model does). */
  extrapStartTime?: number | null;
}

export class OnnxPredNet {
  private readonly sessions = new Map<string, Promise<Session>>();
  private released = false;

  private constructor(
    private readonly ort: Ort,
    readonly config: PredNetConfig,
    private readonly weights: KerasWeights,
    private readonly sessionOptions: Session.SessionOptions,
    readonly report: ProviderReport,
  ) {}

  /** From Keras-named float32 weights (see KerasWeights); checked against the configuration. */
  static async create(config: PredNetConfig, weights: KerasWeights, options: OnnxOptions = {}): Promise<OnnxPredNet> {
    checkWeights(config, weights);
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1 && options.threads <= 256))
      throw new RangeError(`threads must be an integer in 1..256; got ${options.threads}.`);
    for (const p of options.providers ?? [])
      if (!(KNOWN_PROVIDERS as readonly string[]).includes(p)) throw new RangeError(`Unknown ONNX Runtime execution provider '${p}'; choose from ${KNOWN_PROVIDERS.join(', ')}.`);
    const ort = await loadOrt();
    // Tried on the real graph (prediction mode): a provider can load and still refuse the model.
    const { session, sessionOptions, report } = await sessionOnFirstProvider(ort, sequenceModel(config, weights, 'prediction'), baseSessionOptions(options), options.providers, 'PredNet');
    const model = new OnnxPredNet(ort, config, weights, sessionOptions, report);
    model.sessions.set('prediction', Promise.resolve(session));
    return model;
  }

  /** From a loaded tfjs PredNet (its weights are copied; the net can be disposed afterwards). */
  static async fromPredNet(net: PredNet, options: OnnxOptions = {}): Promise<OnnxPredNet> {
    const keras = net.kerasWeights();
    const weights: KerasWeights = new Map();
    try {
      // Awaited reads: the WebGPU engine has no synchronous read in Node.
      for (const [name, t] of keras) weights.set(name, { shape: t.shape, data: Float32Array.from((await t.data()) as Float32Array) });
    } finally {
      for (const t of keras.values()) t.dispose();
    }
    return OnnxPredNet.create(net.config, weights, options);
  }

  get layers(): number {
    return layerCount(this.config);
  }

  private session(mode: OutputMode): Promise<Session> {
    // One session per output mode asked for: at most 2 + 4 * layers of them.
    const key = modeKey(mode);
    let s = this.sessions.get(key);
    if (!s) {
      s = ortCall(() => this.ort.InferenceSession.create(sequenceModel(this.config, this.weights, mode), this.sessionOptions));
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  /**
   * Runs sequences (N, T, H, W, C) float32 in [0, pixelMax] and returns the chosen output for
   * every step: (N, T, H, W, C) predictions, (N, T, L) errors or (N, T, h, w, c) units.
   */
  async run(frames: Float32Array, shape: readonly number[], mode: OutputMode, options: RunOptions = {}): Promise<{ data: Float32Array; shape: number[] }> {
    if (this.released) throw new Error('This ONNX PredNet has been released.');
    const c = this.config;
    const [N, T, H, W, C] = shape as [number, number, number, number, number];
    if (shape.length !== 5 || H !== c.height || W !== c.width || C !== c.stackSizes[0])
      throw new RangeError(`Input is (${shape.join(', ')}); this model takes (N, T, ${c.height}, ${c.width}, ${c.stackSizes[0]}).`);
    if (!(N >= 1 && T >= 1)) throw new RangeError(`Input has no ${N >= 1 ? 'time steps' : 'sequences'}.`);
    if (frames.length !== N * T * H * W * C) throw new RangeError(`Input has ${frames.length} values; shape (${shape.join(', ')}) needs ${N * T * H * W * C}.`);
    const es = options.extrapStartTime;
    if (es != null && !(Number.isInteger(es) && es >= 0 && es < T)) throw new RangeError(`extrapStartTime must be a step in 0..${T - 1}; got ${es}.`);
    if (typeof mode === 'object' && !(mode.layer >= 0 && mode.layer < this.layers)) throw new RangeError(`This model has layers 0..${this.layers - 1}; got layer ${mode.layer}.`);
    const session = await this.session(mode);
    // The tfjs model has no prediction to feed back at t = 0, so extrapolation starts at t >= 1.
    const from = es == null ? T : Math.max(1, es);
    const feeds: Record<string, OrtTensor> = {
      [FRAMES]: new this.ort.Tensor('float32', frames, [N, T, H, W, C]),
      [EXTRAP_FROM]: new this.ort.Tensor('int64', BigInt64Array.of(BigInt(from)), []),
    };
    const out = (await ortCall(() => session.run(feeds)))[OUTPUT]!;
    const data = out.data as Float32Array;
    const dims = [N, T, ...outputDims(c, mode)];
    if (out.dims.join() !== dims.join()) throw new Error(`ONNX Runtime returned shape (${out.dims.join(', ')}); expected (${dims.join(', ')}).`);
    return { data, shape: dims };
  }

  /**
   * The battery's recordings: several unit maps of every step in one run, optionally without
   * feedback. Returns one (N, T, c, h, w) array per probe, channels first. Sessions are kept per
   * probe set (at most UNIT_SESSIONS; the oldest is released first).
   */
  async runUnits(frames: Float32Array, shape: readonly number[], probes: readonly UnitProbe[], options: { ablateFeedback?: boolean } = {}): Promise<Float32Array[]> {
    if (this.released) throw new Error('This ONNX PredNet has been released.');
    const c = this.config;
    const [N, T, H, W, C] = shape as [number, number, number, number, number];
    if (shape.length !== 5 || H !== c.height || W !== c.width || C !== c.stackSizes[0])
      throw new RangeError(`Input is (${shape.join(', ')}); this model takes (N, T, ${c.height}, ${c.width}, ${c.stackSizes[0]}).`);
    if (!(N >= 1 && T >= 1) || frames.length !== N * T * H * W * C) throw new RangeError(`Input has ${frames.length} values for shape (${shape.join(', ')}).`);
    const ablate = options.ablateFeedback ?? false;
    const key = `units:${ablate ? 'ablated' : 'intact'}:${probes.map((p) => `${p.unit}${p.layer}`).join(',')}`;
    let s = this.sessions.get(key);
    if (!s) {
      const unitKeys = [...this.sessions.keys()].filter((k) => k.startsWith('units:'));
      for (const old of unitKeys.slice(0, Math.max(0, unitKeys.length - UNIT_SESSIONS + 1))) {
        const gone = this.sessions.get(old)!;
        this.sessions.delete(old);
        void gone.then((x) => ortCall(() => x.release())).catch(() => {});
      }
      s = ortCall(() => this.ort.InferenceSession.create(unitsModel(c, this.weights, probes, ablate), this.sessionOptions));
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    const session = await s;
    const feeds = {
      [FRAMES]: new this.ort.Tensor('float32', frames, [N, T, H, W, C]),
      [EXTRAP_FROM]: new this.ort.Tensor('int64', BigInt64Array.of(BigInt(T)), []),
    };
    const out = await ortCall(() => session.run(feeds));
    return probes.map((_, k) => out[unitsOutput(k)]!.data as Float32Array);
  }

  /** Frees the native sessions. */
  async release(): Promise<void> {
    this.released = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) {
      const session = await s.catch(() => null);
      // Released even once the gate is closed: it frees memory and starts no work.
      if (session) await session.release();
    }
  }
}

/** One line for `predlab backend` and logs, e.g. "onnxruntime-node 1.30.0 (cpu, 2 threads; skipped cuda: ...)". */
export function describeOnnx(r: ProviderReport): string {
  const skipped = r.skipped.map((s) => `; skipped ${s.provider}: ${s.reason}`).join('');
  return `onnxruntime-node ${r.version} (${r.provider}, ${r.threads} thread${r.threads === 1 ? '' : 's'}${skipped})`;
}

/**
 * Whether ONNX Runtime starts here and on which provider, without a checkpoint (for
 * `predlab backend`): builds a one-layer, one-pixel PredNet and asks for a session.
 */
export async function onnxRuntimeStatus(options: OnnxOptions = {}): Promise<{ ok: true; report: ProviderReport } | { ok: false; reason: string }> {
  const config: PredNetConfig = { height: 1, width: 1, stackSizes: [1], rStackSizes: [1], aFiltSizes: [], ahatFiltSizes: [1], rFiltSizes: [1], pixelMax: 1 };
  const weights: KerasWeights = new Map([...kerasWeightShapes(config)].map(([name, shape]) => [name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }]));
  try {
    const model = await OnnxPredNet.create(config, weights, options);
    await model.release();
    return { ok: true, report: model.report };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
