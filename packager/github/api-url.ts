/** GitHub's public API; GitHub Enterprise is https://HOST/api/v3. */
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
