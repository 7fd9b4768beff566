/**
 * ONNX Runtime's own telemetry (a device id, the CPU, OS, RAM and the producer's name, kept under
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ and uploaded by the library) is off in PredLab
 * unless the user turns it on with PREDLAB_ONNX_TELEMETRY=1. The library reads
 * ORT_DISABLE_TELEMETRY from the process environment when it starts, so this must run in the
 * process's main thread before any thread loads onnxruntime-node (a worker thread's process.env
 * is its own copy): the CLI, the app's bootstrap and loadOrt call it.
 */
export function ortTelemetryOffByDefault(env: NodeJS.ProcessEnv = process.env): void {
  if (env.PREDLAB_ONNX_TELEMETRY === '1') return;
  env.ORT_DISABLE_TELEMETRY ??= '1';
}
