/** A blank Chromium page with the app's three.js presenter bundled in (test/browser/presenter-entry.ts). */
import { build } from 'esbuild';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';

export async function presenterPage(): Promise<{ browser: Browser; page: Page }> {
  const bundle = await build({ entryPoints: [path.resolve('test/browser/presenter-entry.ts')], bundle: true, format: 'iife', write: false, platform: 'browser' });
  const browser = await launchChromium();
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  await page.setContent('<!doctype html><body style="margin:0"></body>');
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  return { browser, page };
}
