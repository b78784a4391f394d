export * from './errno';
export * from './fd-table';
export * from './socket';
export * from './epoll';
export * from './socket-layer';
