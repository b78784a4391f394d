export * from './main';
export * from './run-command';
export * from './registry';
export type { ServicesSummary } from './service/services-summary';
