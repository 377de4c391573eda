/**
 * Asset build filters: the syntax check sensu applies when an asset is created (COMPAT §7), and a
 * warning for comparisons the agent can never satisfy because it reports Go's GOARCH/GOOS.
 *
 * Numbering: sensu-go `js/js.go` ParseExpressions numbers the filters of one build from 0
 * (`syntax error in expression 0: ...` is the first filter), so call checkFilters once per build.
 */
import type { AnyNode, BinaryExpression, Literal, MemberExpression, Node } from 'acorn';
import { walkAst } from './ast-walk.js';
import { diagnostic, hinted, NO_POSITION, type Diagnostic, type Position } from './diagnostics.js';
import { correctionFor, goValues, type Correction, type GoSystemField } from './go-platforms.js';
import { parseLikeOtto } from './otto-syntax.js';

export interface FilterInput {
  expression: string;
  /** Where the filter sits in bonsai.yml; diagnostics point there. */
  position?: Position;
}

/**
 * sensu's message for a filter that does not parse as ES5, e.g.
 * `syntax error in expression 0: (anonymous): Line 1:21 Unexpected token ILLEGAL`; undefined when it parses.
 * `index` is the filter's 0-based place in its build, as sensu counts.
 */
export function filterSyntaxError(expression: string, index: number): string | undefined {
  const parsed = parseLikeOtto(expression);
  return parsed.ok ? undefined : sensuSyntaxError(index, parsed.message);
}

function sensuSyntaxError(index: number, ottoMessage: string): string {
  return `syntax error in expression ${index}: ${ottoMessage}`;
}

/**
 * For one build's filters, in order: a FILTER_SYNTAX error for a filter that does not parse, otherwise a
 * FILTER_EMPTY warning for an empty one, otherwise a FILTER_NEVER_MATCHES / FILTER_ALWAYS_TRUE warning for
 * each impossible comparison in it. What only running the filter tells is in filter-verdicts.ts.
 */
export function checkFilters(filters: readonly FilterInput[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  filters.forEach(({ expression, position = NO_POSITION }, index) => {
    const parsed = parseLikeOtto(expression);
    if (!parsed.ok) {
      diagnostics.push(diagnostic('FILTER_SYNTAX', sensuSyntaxError(index, parsed.message), position));
      return;
    }
    if (parsed.program.body.length === 0) {
      // sensu accepts it (it parses) and the agent's value for it is undefined: false, never an error.
      diagnostics.push(
        hinted(
          'FILTER_EMPTY',
          `expression ${index} is empty: the agent evaluates it to undefined, so this build never matches`,
          'remove the empty filter, or write the condition it was meant to hold',
          position,
        ),
      );
      return;
    }
    for (const problem of comparisonProblems(parsed.program, expression)) {
      diagnostics.push(diagnostic(problem.code, problem.message, position));
    }
  });
  return diagnostics;
}

/** The impossible comparisons of a parsed filter (entity.system.arch == 'armv7'...), in source order. */
export function comparisonProblems(program: Node, expression: string): Problem[] {
  const problems: Problem[] = [];
  walkAst(program, (node) => {
    if (node.type !== 'BinaryExpression') return;
    const problem = impossibleComparison(expression, node);
    if (problem) problems.push(problem);
  });
  return problems;
}

type ComparisonOperator = '==' | '===' | '!=' | '!==';
const COMPARISONS = new Set<string>(['==', '===', '!=', '!==']);

export interface Problem {
  code: 'FILTER_NEVER_MATCHES' | 'FILTER_ALWAYS_TRUE';
  message: string;
}

/** A comparison of entity.system.arch/os with a literal the agent never reports, either operand order. */
function impossibleComparison(source: string, node: BinaryExpression): Problem | undefined {
  if (!COMPARISONS.has(node.operator)) return undefined;
  const operator = node.operator as ComparisonOperator;
  const sides: [AnyNode, AnyNode][] = [
    [node.left as AnyNode, node.right as AnyNode],
    [node.right as AnyNode, node.left as AnyNode],
  ];
  for (const [fieldSide, literalSide] of sides) {
    const field = systemField(fieldSide);
    if (!field || literalSide.type !== 'Literal') continue;
    return judge(source, node, operator, field, fieldSide, literalSide);
  }
  return undefined;
}

function judge(
  source: string,
  node: BinaryExpression,
  operator: ComparisonOperator,
  field: GoSystemField,
  fieldNode: Node,
  literal: Literal,
): Problem | undefined {
  const strict = operator === '===' || operator === '!==';
  const equality = operator === '==' || operator === '===';
  const written = source.slice(node.start, node.end);
  const path = source.slice(fieldNode.start, fieldNode.end);
  const quote = typeof literal.value === 'string' && literal.raw?.startsWith('"') ? '"' : "'";
  const code = equality ? 'FILTER_NEVER_MATCHES' : 'FILTER_ALWAYS_TRUE';
  const verdict = equality ? 'can never be true' : 'is always true';

  let value: string;
  if (typeof literal.value === 'string') value = literal.value;
  else if (typeof literal.value === 'number') {
    value = String(literal.value);
    // `===` never converts types: a number is never equal to the string the agent reports.
    if (strict && correctionFor(field, value) === undefined) {
      const fix = `${path} ${operator} ${quote}${value}${quote}`;
      return { code, message: `\`${written}\` ${verdict}: ${path} is a string; write \`${fix}\`` };
    }
  } else return undefined;

  const correction = correctionFor(field, value);
  if (!correction) return undefined;
  const goName = field === 'arch' ? 'GOARCH' : 'GOOS';
  const reason = `entity.system.${field} is Go's ${goName}, never ${quote}${value}${quote}`;
  const advice = adviceFor(correction, { field, path, operator, quote });
  return { code, message: `\`${written}\` ${verdict}: ${reason}; ${advice}` };
}

interface Context {
  field: GoSystemField;
  path: string;
  operator: ComparisonOperator;
  quote: string;
}

function adviceFor(correction: Correction, { field, path, operator, quote }: Context): string {
  const q = (v: string): string => `${quote}${v}${quote}`;
  switch (correction.kind) {
    case 'replace': {
      if (correction.armVersion === undefined) return `write \`${path} ${operator} ${q(correction.value)}\``;
      const arm = `entity.system.arm_version`;
      if (operator === '==' || operator === '===') {
        return (
          `write \`${path} ${operator} ${q(correction.value)}\` ` +
          `and add the filter \`${arm} ${operator} ${correction.armVersion}\``
        );
      }
      const eq = operator === '!=' ? '==' : '===';
      return `write \`!(${path} ${eq} ${q(correction.value)} && ${arm} ${eq} ${correction.armVersion})\``;
    }
    case 'other-field':
      return (
        `that is a Linux distribution; write \`entity.system.${correction.field} ${operator} ` +
        `${q(correction.value)}\` (with \`entity.system.os == ${q('linux')}\`)`
      );
    case 'drop':
      return 'no machine reports it; remove this comparison';
    case 'unknown':
      return `${field === 'arch' ? 'GOARCH' : 'GOOS'} is one of ${goValues(field).join(', ')}`;
  }
}

/** `entity.system.arch` / `entity.system["os"]` → the field name, for the fields Go fixes. */
function systemField(node: AnyNode): GoSystemField | undefined {
  if (node.type !== 'MemberExpression') return undefined;
  const name = propertyName(node);
  if (name !== 'arch' && name !== 'os') return undefined;
  const system = node.object as AnyNode;
  if (system.type !== 'MemberExpression' || propertyName(system) !== 'system') return undefined;
  const entity = system.object as AnyNode;
  return entity.type === 'Identifier' && entity.name === 'entity' ? name : undefined;
}

function propertyName(node: MemberExpression): string | undefined {
  const property = node.property as AnyNode;
  if (!node.computed && property.type === 'Identifier') return property.name;
  if (node.computed && property.type === 'Literal' && typeof property.value === 'string')
    return property.value;
  return undefined;
}
