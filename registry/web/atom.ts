import { assetPageUrl, pathSegment } from '../../bonsai-schema/index.js';
import { escapeHtml } from './html.js';
import type { FeedEntry } from './queries.js';

/** An Atom feed of new versions (Bonsai has one per asset and one for all). */
export function atomFeed(feed: { base: string; id: string; title: string; entries: FeedEntry[] }): string {
  const x = escapeHtml;
  const updated = (feed.entries[0]?.ingestedAt ?? new Date(0)).toISOString();
  const entries = feed.entries.map((e) => {
    const url = `${assetPageUrl(feed.base, e)}/versions/${pathSegment(e.tag)}`;
    return `<entry>
<id>${x(url)}</id>
<title>${x(`${e.namespace}/${e.name} ${e.tag}${e.prerelease ? ' (pre-release)' : ''}`)}</title>
<link rel="alternate" type="text/html" href="${x(url)}"/>
<updated>${e.ingestedAt.toISOString()}</updated>
<summary>${x(e.description)}</summary>
</entry>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<id>${x(feed.id)}</id>
<title>${x(feed.title)}</title>
<link rel="self" href="${x(feed.id)}"/>
<updated>${updated}</updated>
<author><name>Bonsai asset registry</name></author>
${entries.join('\n')}
</feed>
`;
}
