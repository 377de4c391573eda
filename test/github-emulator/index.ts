export { startGitHubEmulator } from './emulator.js';
export type { GitHubEmulator, GitHubEmulatorOptions, RequestLogEntry } from './emulator.js';
export type { EmulatorControl } from './control.js';
export type { FaultAction, FaultRule, InjectedFault, OriginName } from './faults.js';
export type { Delivery } from './webhooks.js';
export type { RateLimitConfig, RateLimitStatus } from './rate-limit.js';
export type { AssetJson, ReleaseJson, RepoJson } from './render.js';
export type { AssetInput, CommitInput, HookInput, ReleaseInput } from './state.js';
export { applySeed, seedSchema, type Seed } from './seed.js';
