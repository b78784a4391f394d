export * from './main';
export * from './run-command';
export * from './registry';
export * from './reproduce-command';
// moved to @vnflab/runtime; re-exported while tests and benchmarks import them from here
export { runChain, controlToken, type RunResult, type ServicesSummary } from '@vnflab/runtime';
export * from './traffic-command';
