/** Exposes `window.predlab` (the typed contract) to the sandboxed renderer; nothing else. */
import { contextBridge, ipcRenderer } from 'electron';
import { createApi } from './api.js';
import type { Envelope } from './contract.js';

contextBridge.exposeInMainWorld(
  'predlab',
  createApi((channel, args) => ipcRenderer.invoke(channel, args) as Promise<Envelope<unknown>>),
);
