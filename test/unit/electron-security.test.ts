/** The Electron entry's security decisions, as pure functions (main/electron/security.ts). */
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util/out/DebugLogger.js';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXTERNAL_LINKS, externalLinkFor, rendererFileFor } from '../../main/electron/security.js';

const dir = path.resolve('/srv/renderer');

describe('app:// requests', () => {
  it('map to files inside the renderer folder only, and never throw', () => {
    expect(rendererFileFor('app://predlab/index.html', dir)).toBe(path.join(dir, 'index.html'));
    expect(rendererFileFor('app://predlab/%2e%2e/x.js', dir)).toBe(path.join(dir, 'x.js')); // the URL parser resolves dot segments
    expect(rendererFileFor('app://predlab/assets/a%20b.js', dir)).toBe(path.join(dir, 'assets', 'a b.js'));
    for (const u of ['app://predlab/%E0%A4%A', 'app://predlab/%', 'app://predlab/%zz', 'app://predlab/%00x', 'app://evil/index.html', 'app://predlab/..%2F..%2Fetc%2Fpasswd', 'not a url', 'app://predlab/'])
      expect(rendererFileFor(u, dir), u).toBeNull();
  });
});

describe('links to other sites', () => {
  it('open only for the allow-listed addresses, exactly', () => {
    expect(externalLinkFor('https://doi.org/10.1038/s42256-020-0170-9')).toBe('paper');
    expect(externalLinkFor('https://github.com/coxlab/prednet')).toBe('prednet');
    for (const u of ['https://github.com/coxlab/prednet/../../evil', 'https://github.com/evil', 'https://evil.example/', 'http://doi.org/10.1038/s42256-020-0170-9', 'https://doi.org.evil.example/', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'https://user@github.com/coxlab/prednet'])
      expect(externalLinkFor(u), u).toBeNull();
  });
  it('main.ts opens each allowed link by the same literal address', () => {
    const main = fs.readFileSync(path.resolve(import.meta.dirname, '../../main/electron/main.ts'), 'utf8');
    const opened = [...main.matchAll(/shell\.openExternal\(([^)]*)\)/g)].map((m) => m[1]);
    expect(opened.sort()).toEqual(Object.values(EXTERNAL_LINKS).map((u) => `'${u}'`).sort());
  });
});

describe('the packaged app', () => {
  it('has its Electron fuses set, in a configuration electron-builder accepts', async () => {
    const config = await getConfig(path.resolve(import.meta.dirname, '../..'), null, null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.productName).toBe('PredLab');
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableCookieEncryption: true, enableEmbeddedAsarIntegrityValidation: true, onlyLoadAppFromAsar: true, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false });
  });
});
