export * from './finding';
export * from './chain-window';
export * from './reproduce';
export * from './format';
export * from './report-html';
