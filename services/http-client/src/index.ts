export * from './settings';
export * from './http-response';
export * from './requests';
export * from './tx-queue';
export * from './pacer';
export * from './client-stats';
export * from './http-client';
export * from './stage';
