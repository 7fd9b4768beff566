/**
 * Worker-thread entry of a gradient thread (parallel.ts): its own tfjs backend and a copy of the
 * PredNet, whose weights it reads from the shared buffer before every step; it returns the loss
 * gradient of the sequences it is sent, packed into one transferred Float32Array.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend.js';
import { PredNet } from '../prednet/model.js';
import { registerWasmLayoutKernels } from '../wasm-kernels.js';
import { lossAndGrads } from './gradients.js';
import { wasmHeapBytes, type GradReply, type GradRequest, type GradWorkerInit } from './parallel.js';

const init = workerData as GradWorkerInit;
const post = (m: GradReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);

// No top-level await: the app bundles this file as CommonJS.
async function main(): Promise<void> {
  await initBackend({ force: init.backend });
  if (init.backend === 'wasm') registerWasmLayoutKernels();
  const net = PredNet.create(init.config, 1);
  const vars = net.trainableVariables;
  const weights = new Float32Array(init.weights);
  const offsets = vars.reduce<number[]>((o, v) => [...o, o[o.length - 1]! + v.size], [0]);
  parentPort!.on('message', (m: GradRequest) => {
    try {
      tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(weights.subarray(offsets[i]!, offsets[i + 1]!), v.shape))));
      const [H, W, C] = [init.config.height, init.config.width, init.config.stackSizes[0]!];
      const out = new Float32Array(offsets[vars.length]!);
      const loss = tf.tidy(() => {
        const batch = tf.tensor5d(m.batch, [m.sequences, m.nt, H, W, C]);
        const r = lossAndGrads(net, batch, init.layerW, init.timeW, m.segment);
        r.grads.forEach((g, i) => out.set(g.dataSync() as Float32Array, offsets[i]!));
        return r.loss.dataSync()[0]!;
      });
      post({ type: 'grads', loss, grads: out, heapBytes: wasmHeapBytes() }, [out.buffer as ArrayBuffer]);
    } catch (e) {
      post({ type: 'error', message: (e as Error).message });
    }
  });
  post({ type: 'ready' });
}

main().catch((e: Error) => post({ type: 'error', message: e.message }));
