import {
  CORE_SCHEMA,
  EVENT_ID,
  SCALAR_STYLE,
  YAMLException,
  eventsToAst,
  parseEvents,
  type Event,
  type Node,
} from 'js-yaml';
import { MAX_YAML_ALIAS_EXPANSION, MAX_YAML_DEPTH } from './config-bounds.js';
import { diagnostic, type Diagnostic, type Position } from './diagnostics.js';

/**
 * A YAML document as a tree whose every node knows where it starts in the source, so that each
 * bonsai.yml problem can be reported at `line:column`. js-yaml's AST resolves tags (`386` is an int,
 * `~` is null) but drops offsets; its event stream keeps offsets. Both come in the same order, so they
 * are walked side by side.
 */
export type YamlNode = YamlScalar | YamlSequence | YamlMapping;

export interface YamlScalar extends Position {
  kind: 'scalar';
  /** The scalar's text as written, quotes removed (`386`, `true`, `#{repo}`). */
  text: string;
  /** The resolved type: a quoted `"386"` is a string, a plain `386` an int. */
  type: 'string' | 'null' | 'bool' | 'int' | 'float' | 'other';
}

export interface YamlSequence extends Position {
  kind: 'sequence';
  items: YamlNode[];
}

export interface YamlMapping extends Position {
  kind: 'mapping';
  entries: YamlEntry[];
}

export interface YamlEntry {
  key: YamlNode;
  /** The key as text (a non-scalar key gets its kind in angle brackets). */
  name: string;
  value: YamlNode;
}

export interface ParsedYaml {
  /** The first document's root node; undefined for an empty file or when parsing failed. */
  root: YamlNode | undefined;
  diagnostics: Diagnostic[];
}

const SCALAR_TYPES: Record<string, YamlScalar['type']> = {
  'tag:yaml.org,2002:str': 'string',
  'tag:yaml.org,2002:null': 'null',
  'tag:yaml.org,2002:bool': 'bool',
  'tag:yaml.org,2002:int': 'int',
  'tag:yaml.org,2002:float': 'float',
};

/** Maps source offsets to 1-based line and column. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(source: string) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

export function parseYaml(text: string): ParsedYaml {
  // A byte-order mark is not content (editors on Windows add one).
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let events: Event[];
  let documents: ReturnType<typeof eventsToAst>;
  try {
    events = parseEvents(source, {});
    documents = eventsToAst(events, { source, schema: CORE_SCHEMA });
  } catch (err) {
    // js-yaml recurses per nesting level: `[[[[...` a million deep overflows its stack.
    if (err instanceof RangeError) return { root: undefined, diagnostics: [tooDeep(undefined)] };
    if (err instanceof YAMLException) {
      const at = err.mark ? { line: err.mark.line + 1, column: err.mark.column + 1 } : undefined;
      return {
        root: undefined,
        diagnostics: [
          diagnostic('YAML_SYNTAX', `cannot parse the Bonsai configuration file: ${err.reason}`, at),
        ],
      };
    }
    throw err;
  }
  const walker = new EventWalker(source, events);
  const diagnostics: Diagnostic[] = [];
  let root: YamlNode | undefined;
  for (const [index, doc] of documents.entries()) {
    walker.expect(EVENT_ID.DOCUMENT);
    const node = doc.contents ? walker.node(doc.contents, -1, 0) : undefined;
    walker.expect(EVENT_ID.POP);
    if (walker.refused) return { root: undefined, diagnostics: [walker.refused] };
    if (index === 0) root = node;
    else if (node) {
      diagnostics.push(
        diagnostic(
          'YAML_MULTIPLE_DOCUMENTS',
          'the file holds more than one YAML document (a second `---`); Bonsai reads only the first, ' +
            'so everything from here on would be ignored: remove the `---` line or the second document',
          node,
        ),
      );
    }
  }
  diagnostics.push(...walker.diagnostics);
  return { root, diagnostics };
}

function tooDeep(at: Position | undefined): Diagnostic {
  return diagnostic(
    'YAML_TOO_DEEP',
    `the YAML nests lists and mappings more than ${MAX_YAML_DEPTH} levels deep; a bonsai.yml needs 4`,
    at,
  );
}

class EventWalker {
  private next = 0;
  /** Nodes as written, and as they would be with every alias expanded (an alias bomb's gap). */
  private written = 0;
  private readonly expanded = new WeakMap<YamlNode, number>();
  /** Set when the document is refused whole (too deep, an alias bomb); the walk is then pointless. */
  refused: Diagnostic | undefined;
  private readonly lines: LineIndex;
  private readonly anchors = new Map<string, YamlNode>();
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly source: string,
    private readonly events: Event[],
  ) {
    this.lines = new LineIndex(source);
  }

  expect(type: number): Event {
    const event = this.events[this.next++];
    if (!event || event.type !== type) {
      throw new Error(`js-yaml event stream out of step at event ${this.next - 1} (expected type ${type})`);
    }
    return event;
  }

  /** Builds the located node for `ast`; `fallback` is the offset to use when the node has none (`key:`). */
  node(ast: Node, fallback: number, depth: number): YamlNode {
    const node = this.read(ast, fallback, depth);
    this.written++;
    const size = this.sizeOf(node);
    if (!this.refused && size - this.written > MAX_YAML_ALIAS_EXPANSION) {
      this.refused = diagnostic(
        'YAML_ALIAS_BOMB',
        `aliases (*name) expand the document to more than ${MAX_YAML_ALIAS_EXPANSION} extra values ` +
          '(an alias bomb); write the values out instead of nesting aliases',
        node,
      );
    }
    return node;
  }

  /** Nodes in `node` with every alias expanded (aliases share their anchor's node, so each is counted once). */
  private sizeOf(node: YamlNode): number {
    const known = this.expanded.get(node);
    if (known !== undefined) return known;
    let size = 1;
    if (node.kind === 'sequence') for (const item of node.items) size += this.expanded.get(item) ?? 1;
    if (node.kind === 'mapping')
      for (const e of node.entries)
        size += (this.expanded.get(e.key) ?? 1) + (this.expanded.get(e.value) ?? 1);
    this.expanded.set(node, size);
    return size;
  }

  private read(ast: Node, fallback: number, depth: number): YamlNode {
    const event = this.events[this.next++];
    if (!event) throw new Error('js-yaml event stream ended early');
    if (depth > MAX_YAML_DEPTH && (event.type === EVENT_ID.SEQUENCE || event.type === EVENT_ID.MAPPING)) {
      const at = this.lines.position(event.start);
      this.refused ??= tooDeep(at);
      this.skipCollection();
      return { kind: 'scalar', text: '', type: 'null', ...at };
    }
    switch (event.type) {
      case EVENT_ID.ALIAS: {
        const name = this.source.slice(event.anchorStart, event.anchorEnd);
        const target = this.anchors.get(name);
        if (target) return target;
        // js-yaml builds the AST without checking that an alias has an anchor before it.
        const at = this.lines.position(Math.max(event.anchorStart - 1, 0));
        this.diagnostics.push(
          diagnostic(
            'YAML_ALIAS',
            `alias *${name} refers to no anchor: define &${name} before it, or write the value out`,
            at,
          ),
        );
        return { kind: 'scalar', text: '', type: 'null', ...at };
      }
      case EVENT_ID.SCALAR: {
        if (ast.kind !== 'scalar') throw new Error('js-yaml AST and events disagree');
        const quoted =
          event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED;
        const offset = event.valueStart < 0 ? fallback : quoted ? event.valueStart - 1 : event.valueStart;
        const node: YamlScalar = {
          kind: 'scalar',
          text: ast.value,
          type: SCALAR_TYPES[ast.tag] ?? 'other',
          ...this.lines.position(Math.max(offset, 0)),
        };
        this.anchor(event.anchorStart, event.anchorEnd, node);
        return node;
      }
      case EVENT_ID.SEQUENCE: {
        if (ast.kind !== 'sequence') throw new Error('js-yaml AST and events disagree');
        const node: YamlSequence = { kind: 'sequence', items: [], ...this.lines.position(event.start) };
        this.anchor(event.anchorStart, event.anchorEnd, node);
        for (const item of ast.items) node.items.push(this.node(item, event.start, depth + 1));
        this.expect(EVENT_ID.POP);
        return node;
      }
      case EVENT_ID.MAPPING: {
        if (ast.kind !== 'mapping') throw new Error('js-yaml AST and events disagree');
        const node: YamlMapping = { kind: 'mapping', entries: [], ...this.lines.position(event.start) };
        this.anchor(event.anchorStart, event.anchorEnd, node);
        const seen = new Map<string, YamlNode>();
        for (const item of ast.items) {
          const keyOffset = this.offsetOfNext(event.start);
          const key = this.node(item.key, event.start, depth + 1);
          const value = this.node(item.value, keyOffset, depth + 1);
          const name = key.kind === 'scalar' ? key.text : `<${key.kind}>`;
          const earlier = seen.get(name);
          if (earlier) {
            this.diagnostics.push(
              diagnostic(
                'YAML_DUPLICATE_KEY',
                `key '${name}' appears twice in the same mapping (lines ${earlier.line} and ${key.line}); ` +
                  'YAML keeps only the last one: remove or merge one of them',
                key,
              ),
            );
          }
          seen.set(name, key);
          node.entries.push({ key, name, value });
        }
        this.expect(EVENT_ID.POP);
        return node;
      }
      default:
        throw new Error(`unexpected js-yaml event type ${event.type}`);
    }
  }

  /** Skips the events of a collection already opened, to its POP (iteratively: it may be very deep). */
  private skipCollection(): void {
    let open = 1;
    while (open > 0) {
      const event = this.events[this.next++];
      if (!event) throw new Error('js-yaml event stream ended early');
      if (event.type === EVENT_ID.SEQUENCE || event.type === EVENT_ID.MAPPING) open++;
      else if (event.type === EVENT_ID.POP) open--;
    }
  }

  private offsetOfNext(fallback: number): number {
    const event = this.events[this.next];
    if (event?.type === EVENT_ID.SCALAR && event.valueStart >= 0) return event.valueStart;
    return fallback;
  }

  private anchor(start: number, end: number, node: YamlNode) {
    if (start >= 0) this.anchors.set(this.source.slice(start, end), node);
  }
}
