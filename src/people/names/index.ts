export * from './record.ts'
export * from './registry.ts'
export * from './reference.ts'
