export * from './settings';
export * from './frame-factory';
export * from './generator';
export * from './stage';
export * from './control-api';
