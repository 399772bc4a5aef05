// Native signing and verification for the node and the CLI (docs/design.md §1). Node only: the page imports
// src/crypto/browser-ed25519.ts directly, never this index.
export * from './node-ed25519.js'
export * from './node-verifier.js'
export * from './sha256.js'
export * from './verifier-pool.js'
