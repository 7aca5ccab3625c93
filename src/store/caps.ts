// Key-derivation labels of the sealed store: one storage key (kept in the node keystore) gives a
// value key (AES-256-GCM) and a name key (HMAC-SHA256 over database keys), so the two uses never
// share a key. Written like every other label (oht/v2/…, docs/FORMAT.md).

export const STORE_LABELS = {
  /** Seals every value (AES-256-GCM). */
  values: 'oht/v2/store-values',
  /** Keys database keys and block file names (HMAC-SHA256). */
  names: 'oht/v2/store-names'
} as const
