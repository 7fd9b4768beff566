/** Handlers of the monitor-profile channels (preload/channels/monitors.ts); arguments arrive validated by the contract, and the service checks them again. */
import type { MonitorResults, monitorsSchemas } from '../../preload/channels/monitors.js';
import { chooseMonitorProfile, createMonitorProfile, deleteMonitorProfile, listMonitorProfiles, updateMonitorProfile } from '../services/monitors.js';
import type { FeatureHandlers, HandlerDeps } from './handler-types.js';

export function monitorsHandlers(deps: HandlerDeps): FeatureHandlers<typeof monitorsSchemas, MonitorResults> {
  const { db } = deps;
  return {
    'monitors:list': () => listMonitorProfiles(db),
    'monitors:create': (a) => createMonitorProfile(db, a),
    'monitors:update': (a) => updateMonitorProfile(db, a.profileId, a),
    'monitors:choose': (a) => chooseMonitorProfile(db, a.profileId),
    'monitors:delete': (a) => deleteMonitorProfile(db, a.profileId),
  };
}
