import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { trusted, type Html } from './html.js';

/**
 * Markdown from asset authors (READMEs, release notes) is untrusted: markdown-it renders it (raw HTML
 * allowed, as GitHub allows it) and sanitize-html then keeps only an allow-list of tags, attributes and
 * URL schemes, so no script, event handler, style or `javascript:` URL reaches the page. Both are
 * maintained, widely used libraries; neither needs a DOM.
 */
const markdown = new MarkdownIt({ html: true, linkify: true, typographer: false });

/** Where relative links and images of a document point: the repository at the version's commit. */
export interface DocumentBase {
  /** https://github.com/OWNER/REPO */
  githubUrl: string;
  commit: string;
}

/**
 * A document's headings sit under the page's h2: its top level becomes h3, and no heading goes more than
 * one level below the one before it (screen-reader users navigate by headings; authors skip levels).
 */
function headingTransforms(rendered: string): Record<string, sanitizeHtml.Transformer> {
  const levels = [...rendered.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
  const offset = 3 - Math.min(6, ...levels);
  let last = 2;
  const transform: sanitizeHtml.Transformer = (tagName, attribs) => {
    const level = Math.max(3, Math.min(6, Number(tagName[1]) + offset, last + 1));
    last = level;
    return { tagName: `h${level}`, attribs };
  };
  return Object.fromEntries(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((t) => [t, transform]));
}

const TAGS = [
  ...sanitizeHtml.defaults.allowedTags.filter((t) => !['h1', 'h2'].includes(t)),
  'img',
  'del',
  'ins',
  'sup',
  'sub',
  'details',
  'summary',
];

function resolve(url: string, base: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('#') || url.startsWith('//')) return url;
  try {
    return new URL(url, base).href;
  } catch {
    return '#';
  }
}

function cleanupOptions(base: DocumentBase | undefined, rendered: string): sanitizeHtml.IOptions {
  const root = base ? `${base.githubUrl.replace(/\/+$/, '')}` : undefined;
  const headings = headingTransforms(rendered);
  return {
    allowedTags: TAGS,
    allowedAttributes: {
      a: ['href', 'title', 'rel'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      code: ['class'],
      th: ['align', 'colspan', 'rowspan'],
      td: ['align', 'colspan', 'rowspan'],
      ol: ['start'],
    },
    allowedClasses: { code: [/^language-[\w-]+$/] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: {
      ...headings,
      a: (tagName, attribs) => ({
        tagName,
        attribs: {
          ...attribs,
          ...(attribs.href !== undefined && root
            ? { href: resolve(attribs.href, `${root}/blob/${base!.commit}/`) }
            : {}),
          rel: 'nofollow noopener noreferrer',
        },
      }),
      img: (tagName, attribs) => ({
        tagName,
        attribs: {
          ...attribs,
          ...(attribs.src !== undefined && root
            ? { src: resolve(attribs.src, `${root}/raw/${base!.commit}/`) }
            : {}),
        },
      }),
    },
  };
}

/** Untrusted Markdown → sanitised HTML. */
export function renderMarkdown(text: string, base?: DocumentBase): Html {
  const rendered = markdown.render(text);
  return trusted(sanitizeHtml(rendered, cleanupOptions(base, rendered)));
}
