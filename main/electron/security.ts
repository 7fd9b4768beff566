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
 * No page records video yet, so nothing else narrows it further.
 */
export function isAllowedPermission(permission: string, mediaTypes: readonly string[] | undefined, requestingUrl: string | undefined): boolean {
  if (permission !== 'media' || !isAppUrl(requestingUrl)) return false;
  const types = mediaTypes ?? [];
  return types.length > 0 && types.every((t) => t === 'video');
}

/** Links the app may open in the system browser (origins, https only): the science it builds on. */
export const EXTERNAL_ORIGINS: readonly string[] = ['https://doi.org', 'https://arxiv.org', 'https://github.com', 'https://www.nature.com'];

export function isAllowedExternal(url: string): boolean {
  try {
    const u = new URL(url);
    return EXTERNAL_ORIGINS.includes(u.origin) && !u.username && !u.password;
  } catch {
    return false;
  }
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
