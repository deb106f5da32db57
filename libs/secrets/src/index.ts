export * from './secret-keyring';
