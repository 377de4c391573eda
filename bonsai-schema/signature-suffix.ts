/**
 * The name of a file's detached signature: minisign's default, `<file>.minisig`. Its own file so the
 * help of `pack` and `verify` reads it without loading the signing code (node:crypto, BLAKE2b).
 */
export const SIGNATURE_SUFFIX = '.minisig';
