/**
 * An installed app's first start (issue 23, item 5): its parts found from process.resourcesPath
 * (native parts and ffmpeg in app.asar.unpacked), and the default model copied into the data folder
 * so that the lab's record of it survives the app moving (an AppImage mounts at a new path every run).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INTEGRITY_FILE } from '../../main/app-integrity.js';
import { installDefaultModel, packagedPaths, unpackedPath } from '../../main/packaged-paths.js';
import { DEFAULT_MODEL_LABEL, defaultModelDir, registerDefaultModel } from '../../main/services/default-model.js';
import { tempDb, tempDir } from '../support/db.js';

const repo = path.resolve(import.meta.dirname, '../..');

describe('packaged paths', () => {
  it('finds the app, its unpacked native parts and its integrity manifest under resourcesPath', () => {
    const p = packagedPaths('/tmp/.mount_PredLaX1/resources');
    expect(p).toEqual({
      resources: '/tmp/.mount_PredLaX1/resources',
      appRoot: '/tmp/.mount_PredLaX1/resources/app.asar',
      unpacked: '/tmp/.mount_PredLaX1/resources/app.asar.unpacked',
      integrityManifest: `/tmp/.mount_PredLaX1/resources/${INTEGRITY_FILE}`,
    });
    // What require.resolve gives inside the archive, and what the OS must be handed.
    expect(unpackedPath(`${p.appRoot}/node_modules/@ffmpeg-installer/linux-x64/ffmpeg`)).toBe(`${p.unpacked}/node_modules/@ffmpeg-installer/linux-x64/ffmpeg`);
    expect(unpackedPath('C:\\Program Files\\PredLab\\resources\\app.asar\\node_modules\\@ffmpeg-installer\\win32-x64\\ffmpeg.exe')).toBe(
      'C:\\Program Files\\PredLab\\resources\\app.asar.unpacked\\node_modules\\@ffmpeg-installer\\win32-x64\\ffmpeg.exe',
    );
    expect(unpackedPath(`${p.unpacked}/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1`)).toBe(`${p.unpacked}/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1`);
    expect(unpackedPath('/home/me/myapp.asar/ffmpeg')).toBe('/home/me/myapp.asar/ffmpeg');
    expect(unpackedPath(`${repo}/node_modules/@ffmpeg-installer/linux-x64/ffmpeg`)).toBe(`${repo}/node_modules/@ffmpeg-installer/linux-x64/ffmpeg`);
  });

  it('copies the default model into the data folder once: one model in the lab however often the app moves', async () => {
    const dataDir = tempDir();
    const { db } = tempDb();
    const firstMount = path.join(tempDir(), 'resources', 'app.asar');
    const secondMount = path.join(tempDir(), 'resources', 'app.asar');
    for (const mount of [firstMount, secondMount]) fs.cpSync(defaultModelDir(repo), defaultModelDir(mount), { recursive: true });

    const dir1 = await installDefaultModel(defaultModelDir(firstMount), dataDir);
    const model1 = registerDefaultModel(db, firstMount, [{ instance: 1, dir: dir1 }])!;
    const dir2 = await installDefaultModel(defaultModelDir(secondMount), dataDir);
    const model2 = registerDefaultModel(db, secondMount, [{ instance: 1, dir: dir2 }])!;
    expect(dir2).toBe(dir1);
    expect(path.dirname(dir1)).toBe(path.join(dataDir, 'default-model'));
    expect(model2.id).toBe(model1.id);
    expect(model1.label).toBe(DEFAULT_MODEL_LABEL);
    expect(db.prepare('SELECT count(*) AS n FROM models').get()).toEqual({ n: 1 });
    for (const name of fs.readdirSync(defaultModelDir(repo))) expect(fs.readFileSync(path.join(dir1, name)).equals(fs.readFileSync(path.join(defaultModelDir(repo), name)))).toBe(true);
    expect(fs.readdirSync(path.join(dataDir, 'default-model'))).toEqual([path.basename(dir1)]); // no partial copy left

    // A release with other weights: a folder of its own; the first stays for the sessions recorded with it.
    const weights = path.join(defaultModelDir(secondMount), 'weights.bin');
    const bytes = fs.readFileSync(weights);
    bytes.writeUInt8(bytes.readUInt8(0) ^ 1, 0);
    fs.writeFileSync(weights, bytes);
    const dir3 = await installDefaultModel(defaultModelDir(secondMount), dataDir);
    expect(dir3).not.toBe(dir1);
    expect(fs.existsSync(path.join(dir1, 'weights.bin'))).toBe(true);
  });
});
