export * from './format';
export * from './link-type';
export * from './reader';
export * from './pcapng-reader';
export * from './writer';
export * from './capture';
