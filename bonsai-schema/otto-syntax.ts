/**
 * Parse a filter the way sensu's backend does before it stores an asset, and word a failure the way
 * otto (the ES5 interpreter sensu embeds) words it.
 *
 * Facts used here (paths in the public sources):
 * - sensu-go `js/js.go` ParseExpressions: each filter goes through otto's `parser.ParseFile(nil, "", expr, 0)`,
 *   i.e. it is parsed as a whole ES5 *program* (statements allowed), not as a single expression.
 * - robertkrimen/otto `parser/error.go`: an error reads `<file>: Line <line>:<column> <message>` with the
 *   file name `(anonymous)` when none is given; the vocabulary is `Unexpected token X`, `Unexpected end of
 *   input`, `Unexpected identifier`, `Unexpected reserved word`, `Unexpected number`, `Unexpected string`.
 * - robertkrimen/otto `file/file.go`: line counts `\n` only; column is 1-based and counts bytes.
 * - robertkrimen/otto `parser/lexer.go`: an unterminated string or an unknown character becomes the token
 *   ILLEGAL (`Unexpected token ILLEGAL`, at the token's start); an unterminated regexp is
 *   `Invalid regular expression: missing /`.
 *
 * acorn (`ecmaVersion: 5`) does the parsing; only the first error is reported (otto may append
 * `(and N more errors)`, which we cannot reproduce faithfully).
 */
import { parse, tokenizer, type Program } from 'acorn';

export interface OttoParseOk {
  ok: true;
  program: Program;
}

export interface OttoParseError {
  ok: false;
  /** otto's wording, e.g. `(anonymous): Line 1:21 Unexpected token ILLEGAL`. */
  message: string;
}

/** Future reserved words that otto reports as `Unexpected reserved word` (ES5 §7.6.1.2, non-strict). */
const RESERVED_WORDS = new Set(['class', 'const', 'enum', 'export', 'extends', 'import', 'super']);

interface AcornSyntaxError {
  message: string;
  pos: number;
}

function isAcornSyntaxError(e: unknown): e is AcornSyntaxError {
  return e instanceof SyntaxError && typeof (e as { pos?: unknown }).pos === 'number';
}

export function parseLikeOtto(expression: string): OttoParseOk | OttoParseError {
  try {
    const program = parse(expression, { ecmaVersion: 5, sourceType: 'script' });
    return { ok: true, program };
  } catch (e) {
    if (!isAcornSyntaxError(e)) throw e;
    const { offset, text } = ottoWording(expression, e);
    const { line, column } = ottoPosition(expression, offset);
    return { ok: false, message: `(anonymous): Line ${line}:${column} ${text}` };
  }
}

/** Map acorn's message and position onto otto's. Unknown messages keep acorn's text (minus its `(l:c)`). */
function ottoWording(source: string, e: AcornSyntaxError): { offset: number; text: string } {
  const bare = e.message.replace(/ \(\d+:\d+\)$/, '');
  if (bare === 'Unexpected token') return unexpectedTokenAt(source, e.pos);
  if (bare.startsWith('Unterminated string constant') || bare.startsWith('Unexpected character')) {
    return { offset: e.pos, text: 'Unexpected token ILLEGAL' };
  }
  if (bare.startsWith('Unterminated comment'))
    return { offset: source.length, text: 'Unexpected end of input' };
  // acorn points just after the opening slash; otto at the slash itself.
  if (bare.startsWith('Unterminated regular expression')) {
    return { offset: Math.max(0, e.pos - 1), text: 'Invalid regular expression: missing /' };
  }
  if (/^The keyword '.*' is reserved$/.test(bare)) return { offset: e.pos, text: 'Unexpected reserved word' };
  if (bare === "'return' outside of function") return { offset: e.pos, text: 'Illegal return statement' };
  if (bare === 'Assigning to rvalue') return { offset: e.pos, text: 'Invalid left-hand side in assignment' };
  return { offset: e.pos, text: bare };
}

/** otto names the offending token by its kind; read the token that starts at `pos` to do the same. */
function unexpectedTokenAt(source: string, pos: number): { offset: number; text: string } {
  const rest = source.slice(pos);
  if (rest.trim() === '') return { offset: source.length, text: 'Unexpected end of input' };
  const lead = rest.length - rest.trimStart().length;
  const at = pos + lead;
  let token;
  try {
    token = tokenizer(rest.trimStart(), { ecmaVersion: 5 }).getToken();
  } catch {
    return { offset: at, text: 'Unexpected token ILLEGAL' };
  }
  const raw = rest.trimStart().slice(token.start, token.end);
  const label = token.type.label;
  if (label === 'eof') return { offset: source.length, text: 'Unexpected end of input' };
  if (label === 'string') return { offset: at, text: 'Unexpected string' };
  if (label === 'num') return { offset: at, text: 'Unexpected number' };
  if (label === 'name') {
    if (RESERVED_WORDS.has(raw)) return { offset: at, text: 'Unexpected reserved word' };
    return { offset: at, text: 'Unexpected identifier' };
  }
  return { offset: at, text: `Unexpected token ${raw}` };
}

const utf8 = new TextEncoder();

/** otto's Position: 1 + number of `\n` before the offset; column = bytes since the last `\n`, 1-based. */
function ottoPosition(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset);
  const lastNewline = before.lastIndexOf('\n');
  const line = before.split('\n').length;
  const column = utf8.encode(before.slice(lastNewline + 1)).length + 1;
  return { line, column };
}
