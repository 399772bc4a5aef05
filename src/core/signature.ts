// What the rules ask of signature code, as interfaces: core signs and verifies through them and holds no
// key material and no crypto library of its own (docs/design.md §1). The node and the CLI pass native
// implementations (src/crypto/node-ed25519.ts, src/crypto/node-verifier.ts), the page @noble/curves and
// WebCrypto ones (src/crypto/browser-ed25519.ts).

/** RFC 8032: an Ed25519 public key is 32 bytes, a signature 64, a private key (seed) 32. */
export const ED25519_PUBLIC_KEY_BYTES = 32
export const ED25519_SIGNATURE_BYTES = 64
export const ED25519_SEED_BYTES = 32

/** Signs native txs for one key (signTx). */
export interface Ed25519Signer {
  /** The 32-byte Ed25519 public key the signatures verify under. */
  readonly publicKey: Uint8Array
  /** Pure Ed25519 (RFC 8032 §5.1.6, deterministic) signature of `message`: 64 bytes. */
  sign: (message: Uint8Array) => Uint8Array
}

/** Signature checks the rules need; one implementation per node (docs/design.md §11: one verifier). */
export interface SignatureVerifier {
  /** RFC 8032 Ed25519; false (never a throw) for a malformed key or signature. */
  verifyEd25519: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>
  /** RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2) under an SPKI PEM key; false for a malformed key. */
  verifyRsaPkcs1Sha256: (spkiPem: string, message: Uint8Array, signature: Uint8Array) => Promise<boolean>
}

/**
 * One signature check, as data: what a batch verifier (a worker-thread pool, or the per-item verifier
 * through `verifyManyWith`) needs, with no tx or block around it (docs/design.md §12).
 */
export type SignatureCheck =
  | { scheme: 'ed25519', publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array }
  | { scheme: 'rsa-pkcs1-sha256', spkiPem: string, message: Uint8Array, signature: Uint8Array }

export interface VerifyManyOptions {
  /**
   * Stop at the first failure: items after the lowest failing one may be left unchecked (`undefined`);
   * every item before it is checked, so every node names the same first failure.
   */
  stopOnFirstFailure?: boolean
  /** Abandon the batch (e.g. the request that asked for it went away); rejects with the signal's reason. */
  signal?: AbortSignal
}

/**
 * Verifies many signatures at once, possibly in parallel (docs/design.md §11, §12). Resolves with one
 * entry per item: true (valid), false (invalid or malformed, never a throw) or undefined (not checked,
 * only with stopOnFirstFailure and only after a false).
 */
export interface BatchSignatureVerifier {
  verifyMany: (items: readonly SignatureCheck[], opts?: VerifyManyOptions) => Promise<Array<boolean | undefined>>
}
