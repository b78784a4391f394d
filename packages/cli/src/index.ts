export * from './main';
export * from './run-command';
export * from './registry';
