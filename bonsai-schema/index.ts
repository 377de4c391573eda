export * from './checksums.js';
export * from './diagnostics.js';
export * from './versions.js';
