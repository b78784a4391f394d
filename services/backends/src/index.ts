export * from './flow-tracker';
export * from './backends';
export * from './stage';
