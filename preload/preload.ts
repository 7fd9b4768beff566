/** Exposes `window.predlab` (the typed contract) to the sandboxed renderer; nothing else. */
import { contextBridge, ipcRenderer } from 'electron';
import { createApi } from './api.js';
import { EVENT_CHANNEL } from './channels/events.js';
import type { Envelope } from './contract.js';

contextBridge.exposeInMainWorld(
  'predlab',
  createApi(
    (channel, args) => ipcRenderer.invoke(channel, args) as Promise<Envelope<unknown>>,
    // Only the event itself crosses: never the IpcRendererEvent (it holds the sender).
    (deliver) => void ipcRenderer.on(EVENT_CHANNEL, (_e, event: unknown) => deliver(event)),
  ),
);
