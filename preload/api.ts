/**
 * Builds `window.predlab` from the contract over any transport. The Electron preload passes
 * ipcRenderer.invoke; tests pass a Playwright binding to the real services.
 */
import { channels, type Args, type Channel, type Envelope, type Results } from './contract.js';

export type Transport = (channel: Channel, args: unknown) => Promise<Envelope<unknown>>;

/** An error from the Node side, with a code the UI can branch on. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type PredlabApi = { [C in Channel]: (args: Args<C>) => Promise<Results[C]> };

export function createApi(transport: Transport): PredlabApi {
  const api = {} as Record<Channel, (args: unknown) => Promise<unknown>>;
  for (const channel of channels) {
    api[channel] = async (args: unknown) => {
      const env = await transport(channel, args ?? {});
      if (env.ok) return env.value;
      throw new ApiError(env.error.code, env.error.message);
    };
  }
  return Object.freeze(api) as unknown as PredlabApi;
}
