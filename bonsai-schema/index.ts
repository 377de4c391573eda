export * from './checksums.js';
export * from './compile.js';
export * from './config.js';
export * from './diagnostics.js';
export * from './interpolate.js';
export * from './versions.js';
export * from './yaml-source.js';
