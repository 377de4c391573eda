-- Public keys (minisign, Ed25519) per namespace: a version of an asset in a namespace with keys is served
-- only when its checksum files carry a valid signature by a key that is not revoked. Revoked keys stay
-- (a revoked key id can never be added again, and the status can say a signature's key was revoked).
CREATE TABLE namespace_keys (
  id SERIAL PRIMARY KEY,
  namespace TEXT NOT NULL,
  -- minisign's key id: 16 upper-case hex digits
  key_id TEXT NOT NULL,
  -- the public key line (base64 of "Ed" + key id + key), as minisign -P takes it
  public_key TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX namespace_keys_by_key ON namespace_keys (lower(namespace), key_id);
