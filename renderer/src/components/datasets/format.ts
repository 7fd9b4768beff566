/** Bytes as the Video page shows them: whole KiB, MiB to 0.1, GiB to 0.01. */
export const size = (bytes: number): string => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`);

/** An ISO time to the minute ('2024-05-01 14:03'). */
export { dateTime as when } from '../../../../paradigms/format.js';
