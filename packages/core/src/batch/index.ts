export * from './batch';
export * from './pool';
export * from './wire';
