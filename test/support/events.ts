/** The app's events a `predlab --events` run printed on stderr, each checked against the contract's schema. */
import { appEventSchema, type AppEvent } from '../../preload/channels/events.js';

export const parseEvents = (stderr: string): AppEvent[] => stderr.trim().split('\n').map((l) => appEventSchema.parse(JSON.parse(l)) as AppEvent);
