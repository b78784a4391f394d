export * from './layout';
export * from './checksum';
export * from './parse';
export * from './build';
export * from './rewrite';
export * from './flow-hash';
export * from './probe';
