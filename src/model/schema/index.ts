export * from './common';
export * from './settings';
export * from './device';
export * from './organisation';
export * from './service';
export * from './policy';
export * from './govroam';
export * from './ledger';
