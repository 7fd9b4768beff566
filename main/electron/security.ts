/** Security policy of the app window, kept apart from Electron so tests can check it. */
import path from 'node:path';

/** Scripts only from the app itself; inline styles allowed (Svelte style attributes); no remote anything. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Only the camera (video capture, for recording training video) is ever granted, and only to the
 * app's own pages. Requests name their media types; permission checks name one (`mediaType`).
 * The Video page records with it; audio, screen capture and every other permission are refused.
 */
export function isAllowedPermission(permission: string, mediaTypes: readonly string[] | undefined, requestingUrl: string | undefined): boolean {
  if (permission !== 'media' || !isAppUrl(requestingUrl)) return false;
  const types = mediaTypes ?? [];
  return types.length > 0 && types.every((t) => t === 'video');
}

/**
 * The only pages the app opens in the system browser, by exact address (the literature it builds
 * on). main.ts opens each by its literal address, so nothing a page supplies reaches openExternal.
 */
export const EXTERNAL_LINKS = {
  paper: 'https://doi.org/10.1038/s42256-020-0170-9',
  prednet: 'https://github.com/coxlab/prednet',
} as const;
export type ExternalLink = keyof typeof EXTERNAL_LINKS;

export function externalLinkFor(url: string): ExternalLink | null {
  for (const [id, href] of Object.entries(EXTERNAL_LINKS)) if (url === href) return id as ExternalLink;
  return null;
}

/**
 * The renderer file an app:// request names, or null (another host, outside the renderer
 * folder, or a malformed %-escape): never throws, so the protocol handler answers 404.
 */
export function rendererFileFor(requestUrl: string, rendererDir: string): string | null {
  let pathname: string;
  try {
    const url = new URL(requestUrl);
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const file = path.normalize(path.join(rendererDir, pathname));
  return file.startsWith(rendererDir + path.sep) && !file.endsWith(path.sep) ? file : null;
}

export const APP_SCHEME = 'app';
export const APP_HOST = 'predlab';

/**
 * Is this URL one of our own pages? (URL.origin is "null" for custom schemes, so compare the
 * scheme and host instead.)
 */
export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}
