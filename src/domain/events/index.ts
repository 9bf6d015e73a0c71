export * from './schemas.js';
export * from './normalize.js';
