/** A worker that runs ONNX Runtime without a pause, counted by its gate, until a call is refused (see thread-stop.test.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { Graph, encodeModel } from '../../native-models/onnx/graph-builder.js';
import { ortCall, useOrtGate } from '../../native-models/onnx/ort-gate.js';

useOrtGate((workerData as { ortGate?: SharedArrayBuffer } | undefined)?.ortGate);
const n = 1 << 20;
const g = new Graph('busy');
const [y] = g.op('Relu', [g.input('x', 'float32', [1, n])]);
g.output(y!, 'float32', [1, n]);
const session = await ort.InferenceSession.create(encodeModel(g, 'test'));
const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(n), [1, n]) };
parentPort!.postMessage('running');
let runs = 0;
try {
  for (;;) {
    await ortCall(() => session.run(feeds));
    runs++;
  }
} catch (e) {
  parentPort!.postMessage(`refused after ${runs} runs: ${(e as Error).message}`);
}
