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
