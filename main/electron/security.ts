/** Security policy of the app window, kept apart from Electron so tests can check it. */

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

/** Only the camera (video capture, for recording training video) is ever granted. */
export function isAllowedPermission(permission: string, mediaTypes: readonly string[] | undefined): boolean {
  if (permission !== 'media') return false;
  const types = mediaTypes ?? [];
  return types.length > 0 && types.every((t) => t === 'video');
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
