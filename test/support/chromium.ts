/** Debian Chromium through playwright-core (no browser download). */
import fs from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

export const CHROMIUM = process.env.PREDLAB_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox', // CI runs as root
  '--disable-background-networking',
  '--disable-sync',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--use-gl=angle',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

export function haveChromium(): boolean {
  return fs.existsSync(CHROMIUM);
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  if (!haveChromium()) throw new Error(`Chromium not found at ${CHROMIUM}; install it with 'apt-get install -y chromium' (or run .ci/run).`);
  // The caller's args add to ours (spread last, `options.args` would silently replace them).
  return chromium.launch({ executablePath: CHROMIUM, headless: true, ...options, args: [...CHROMIUM_ARGS, ...(options.args ?? [])] });
}
