export { registryVerbs } from './registry.js';
