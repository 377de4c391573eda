import type { z } from 'zod';
import { invalidRequest } from './errors.js';

/**
 * Parses a request body with a zod schema; a body that does not fit is GitHub's 422 "Invalid request."
 * with its phrasing (`"tag_name" wasn't supplied.`, `For 'properties/draft', "yes" is not a boolean.`).
 */
export function parseBody<T extends z.ZodType>(
  schema: T,
  body: unknown,
  documentationUrl: string,
): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('/') ?? '';
  const value = (issue?.path ?? []).reduce<unknown>(
    (node, key) =>
      typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined,
    body,
  );
  if (issue?.code === 'invalid_type' && value === undefined) {
    throw invalidRequest(documentationUrl, `"${field}" wasn't supplied.`);
  }
  const expected = issue?.code === 'invalid_type' ? issue.expected : 'valid';
  throw invalidRequest(
    documentationUrl,
    `For 'properties/${field}', ${JSON.stringify(value)} is not a ${expected}.`,
  );
}
