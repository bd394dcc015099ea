export { loadConfig, type SidecarConfig } from './config.js';
export { startSidecar, type RunningSidecar } from './server.js';
