import { sign } from '@octokit/webhooks-methods';
import { WEBHOOK_SECRET } from './harness.js';

/** The body GitHub sends for a `release` event of `fullName` (the fields the registry reads). */
export function releaseEvent(fullName: string, tag: string, draft = false): string {
  const [owner, name] = fullName.split('/');
  return JSON.stringify({
    action: 'published',
    release: { tag_name: tag, draft },
    repository: { name, full_name: fullName, owner: { login: owner } },
  });
}

/** A `published` release delivery signed with the tests' WEBHOOK_SECRET: POST it to /webhooks/github. */
export async function signedReleaseDelivery(
  fullName: string,
  tag: string,
  deliveryId: string,
): Promise<{ headers: Record<string, string>; body: string }> {
  const body = releaseEvent(fullName, tag);
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'release',
    'x-github-delivery': deliveryId,
    'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
  };
  return { headers, body };
}
