/** The environment variable holding a secret key's text (a CI secret), used when --sign is not given. */
export const SIGNING_KEY_ENV = 'BONSAI_SIGNING_KEY';
