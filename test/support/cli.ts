/** The `predlab` command run in-process through its real entry, output captured. */
import { runCli } from '../../main/cli/index.js';

export async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err, json: () => JSON.parse(out) };
}
