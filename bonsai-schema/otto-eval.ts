/**
 * A small ES5 evaluator over an acorn AST, with the semantics of otto (the interpreter the Sensu agent
 * runs asset filters in) that decide whether a filter matches, never matches or throws:
 * - only ES5 built-ins: `'x'.startsWith` is undefined, so calling it throws a TypeError;
 * - an identifier that is neither declared nor a global throws a ReferenceError (`amd64` unquoted);
 * - reading a member of undefined or null throws a TypeError (`entity.System.OS`);
 * - the result is converted with ToBoolean (an assignment's value is truthy).
 * Values the check cannot know (OPAQUE: labels, host names, the clock) propagate as "unknown".
 * Anything outside this subset (functions, `new`, loops) makes the verdict "unsupported": such a
 * filter is only parsed, never judged. Every evaluation is bounded by a step budget.
 */
import type { AnyNode, Node, Program } from 'acorn';
import { OPAQUE, type EntityObject } from './agent-entities.js';

/** A value no machine-independent answer exists for. */
export const UNKNOWN = OPAQUE;

type NativeFunction = { native: (self: unknown, args: unknown[]) => unknown; name: string };

export type ThrowKind = 'reference' | 'member-of-undefined' | 'not-a-function' | 'other';

export interface FilterThrow {
  kind: ThrowKind;
  /** otto-style text: `ReferenceError: 'amd64' is not defined`. */
  message: string;
  /** The identifier, member or method named by the error. */
  name: string;
  /** Offsets of the node that threw, in the filter's source. */
  start: number;
  end: number;
  /** For a method call: the offsets of its receiver and of its argument list (to suggest a rewrite). */
  call?: { receiver: [number, number]; args: [number, number] };
}

export type Evaluation =
  | { outcome: 'value'; value: boolean | typeof UNKNOWN }
  | { outcome: 'throw'; error: FilterThrow }
  | { outcome: 'unsupported'; reason: string };

/** Built-ins ES5 has on String.prototype (otto implements these). */
const STRING_METHODS = new Set([
  'charAt',
  'charCodeAt',
  'concat',
  'indexOf',
  'lastIndexOf',
  'localeCompare',
  'match',
  'replace',
  'search',
  'slice',
  'split',
  'substr',
  'substring',
  'toLowerCase',
  'toUpperCase',
  'toLocaleLowerCase',
  'toLocaleUpperCase',
  'toString',
  'trim',
  'valueOf',
]);
/** ES5 Array.prototype methods that need no callback. */
const ARRAY_METHODS = new Set(['concat', 'indexOf', 'join', 'lastIndexOf', 'slice', 'toString']);
const NUMBER_METHODS = new Set(['toFixed', 'toPrecision', 'toString', 'valueOf']);
const REGEXP_METHODS = new Set(['test', 'exec', 'toString']);

/** Later methods people reach for, with the ES5 way to write them. */
export const ES6_METHODS: Readonly<Record<string, string>> = {
  startsWith: "x.indexOf('prefix') === 0",
  endsWith: "x.slice(-'suffix'.length) === 'suffix'",
  includes: "x.indexOf('part') !== -1",
  repeat: 'a literal string',
  padStart: 'a literal string',
  padEnd: 'a literal string',
  trimStart: "x.replace(/^\\s+/, '')",
  trimEnd: "x.replace(/\\s+$/, '')",
  codePointAt: 'x.charCodeAt(i)',
  normalize: 'the string as it is',
  find: 'x.indexOf(value)',
  findIndex: 'x.indexOf(value)',
  fill: 'a literal array',
  flat: 'a literal array',
  at: 'x[i] (or x.charAt(i))',
  matchAll: 'x.match(/re/g)',
  replaceAll: "x.split('a').join('b')",
};

const MATH: Record<string, unknown> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  max: Math.max,
  min: Math.min,
  pow: Math.pow,
  round: Math.round,
  sqrt: Math.sqrt,
  PI: Math.PI,
  E: Math.E,
};

const native = (name: string, fn: (self: unknown, args: unknown[]) => unknown): NativeFunction => ({
  native: fn,
  name,
});

/** The globals a filter can use: ES5's functions plus sensu's `hour` and `weekday` (time: unknown). */
const GLOBALS: Record<string, unknown> = {
  undefined: undefined,
  NaN: NaN,
  Infinity: Infinity,
  parseInt: native('parseInt', (_s, [a, b]) => parseInt(String(a), b as number | undefined)),
  parseFloat: native('parseFloat', (_s, [a]) => parseFloat(String(a))),
  isNaN: native('isNaN', (_s, [a]) => isNaN(Number(a))),
  isFinite: native('isFinite', (_s, [a]) => isFinite(Number(a))),
  String: native('String', (_s, args) => (args.length === 0 ? '' : String(args[0]))),
  Number: native('Number', (_s, args) => (args.length === 0 ? 0 : Number(args[0]))),
  Boolean: native('Boolean', (_s, [a]) => Boolean(a)),
  hour: native('hour', () => UNKNOWN),
  weekday: native('weekday', () => UNKNOWN),
  Math: Object.fromEntries(
    Object.entries(MATH).map(([k, v]) => [
      k,
      typeof v === 'function' ? native(k, (_s, args) => (v as (...a: unknown[]) => unknown)(...args)) : v,
    ]),
  ),
};

class Thrown {
  constructor(readonly error: FilterThrow) {}
}
class Unsupported {
  constructor(readonly reason: string) {}
}

/** Steps one evaluation may take (a filter is a few dozen). */
const MAX_STEPS = 10_000;

/** Steps left for a whole series of evaluations (a bonsai.yml), shared by them. */
export interface StepBudget {
  remaining: number;
}

function isNative(value: unknown): value is NativeFunction {
  return typeof value === 'object' && value !== null && 'native' in value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof RegExp);
}

function typeOf(value: unknown): string {
  if (isNative(value)) return 'function';
  if (value === null || Array.isArray(value) || value instanceof RegExp) return 'object';
  return typeof value;
}

/** Evaluates a parsed filter for one entity, as the agent would (`value.ToBoolean()` of the program). */
export function evaluateFilter(program: Program, entity: EntityObject, budget?: StepBudget): Evaluation {
  const run = new Run(entity, budget ?? { remaining: MAX_STEPS });
  try {
    const value = run.program(program);
    if (value === UNKNOWN) return { outcome: 'value', value: UNKNOWN };
    return { outcome: 'value', value: Boolean(value) };
  } catch (e) {
    if (e instanceof Thrown) return { outcome: 'throw', error: e.error };
    if (e instanceof Unsupported) return { outcome: 'unsupported', reason: e.reason };
    throw e;
  }
}

class Run {
  private steps = 0;
  private readonly scope = new Map<string, unknown>();

  constructor(
    private readonly entity: EntityObject,
    private readonly budget: StepBudget,
  ) {}

  program(program: Program): unknown {
    let completion: unknown = undefined;
    for (const statement of program.body) {
      const value = this.statement(statement as AnyNode);
      if (value !== NO_COMPLETION) completion = value;
    }
    return completion;
  }

  private statement(node: AnyNode): unknown {
    this.step();
    switch (node.type) {
      case 'ExpressionStatement':
        return this.expr(node.expression as AnyNode);
      case 'EmptyStatement':
        return NO_COMPLETION;
      case 'VariableDeclaration':
        for (const d of node.declarations) {
          if (d.id.type !== 'Identifier') throw new Unsupported('destructuring');
          this.scope.set(d.id.name, d.init ? this.expr(d.init as AnyNode) : undefined);
        }
        return NO_COMPLETION;
      case 'BlockStatement': {
        let completion: unknown = NO_COMPLETION;
        for (const s of node.body) {
          const value = this.statement(s as AnyNode);
          if (value !== NO_COMPLETION) completion = value;
        }
        return completion;
      }
      case 'IfStatement': {
        const test = this.expr(node.test as AnyNode);
        if (test === UNKNOWN) return UNKNOWN;
        if (truthy(test)) return this.statement(node.consequent as AnyNode);
        return node.alternate ? this.statement(node.alternate as AnyNode) : NO_COMPLETION;
      }
      default:
        throw new Unsupported(node.type);
    }
  }

  private step(): void {
    if (++this.steps > MAX_STEPS || --this.budget.remaining < 0) throw new Unsupported('too many steps');
  }

  private expr(node: AnyNode): unknown {
    this.step();
    switch (node.type) {
      case 'Literal':
        if ('regex' in node && node.regex) return regexp(node.regex.pattern, node.regex.flags);
        return node.value;
      case 'Identifier':
        return this.identifier(node.name, node);
      case 'MemberExpression': {
        const object = this.expr(node.object as AnyNode);
        const key = node.computed
          ? this.expr(node.property as AnyNode)
          : (node.property as { name: string }).name;
        if (key === UNKNOWN) return UNKNOWN;
        return this.member(object, String(key), node);
      }
      case 'CallExpression':
        return this.call(node);
      case 'UnaryExpression':
        return this.unary(node);
      case 'BinaryExpression': {
        const left = this.expr(node.left as AnyNode);
        const right = this.expr(node.right as AnyNode);
        return binary(node.operator, left, right, node);
      }
      case 'LogicalExpression': {
        const left = this.expr(node.left as AnyNode);
        if (left === UNKNOWN) {
          const right = this.expr(node.right as AnyNode);
          // `unknown || true` is true and `unknown && false` false whatever the unknown is.
          if (node.operator === '||' && right !== UNKNOWN && truthy(right)) return right;
          if (node.operator === '&&' && right !== UNKNOWN && !truthy(right)) return right;
          return UNKNOWN;
        }
        if (node.operator === '&&') return truthy(left) ? this.expr(node.right as AnyNode) : left;
        return truthy(left) ? left : this.expr(node.right as AnyNode);
      }
      case 'ConditionalExpression': {
        const test = this.expr(node.test as AnyNode);
        if (test === UNKNOWN) return UNKNOWN;
        return truthy(test) ? this.expr(node.consequent as AnyNode) : this.expr(node.alternate as AnyNode);
      }
      case 'SequenceExpression': {
        let value: unknown;
        for (const e of node.expressions) value = this.expr(e as AnyNode);
        return value;
      }
      case 'AssignmentExpression': {
        // The agent's value of an assignment is what was assigned; the entity itself is not changed
        // here (the check judges every machine from the same starting point).
        const right = this.expr(node.right as AnyNode);
        if (node.operator !== '=') {
          const left = this.expr(node.left as AnyNode);
          return binary(node.operator.slice(0, -1), left, right, node);
        }
        if (node.left.type === 'Identifier') this.scope.set(node.left.name, right);
        else this.expr((node.left as { object: AnyNode }).object);
        return right;
      }
      case 'UpdateExpression': {
        const value = this.expr(node.argument as AnyNode);
        if (value === UNKNOWN) return UNKNOWN;
        const n = Number(value);
        return node.prefix ? (node.operator === '++' ? n + 1 : n - 1) : n;
      }
      case 'ArrayExpression':
        return node.elements.map((e) => (e ? this.expr(e as AnyNode) : undefined));
      case 'ObjectExpression': {
        const out: Record<string, unknown> = {};
        for (const p of node.properties) {
          if (p.type !== 'Property' || p.kind !== 'init') throw new Unsupported('accessor property');
          const key = p.key.type === 'Identifier' ? p.key.name : String((p.key as { value: unknown }).value);
          out[key] = this.expr(p.value as AnyNode);
        }
        return out;
      }
      default:
        throw new Unsupported(node.type);
    }
  }

  private identifier(name: string, node: Node): unknown {
    if (this.scope.has(name)) return this.scope.get(name);
    if (name === 'entity') return this.entity;
    if (Object.prototype.hasOwnProperty.call(GLOBALS, name)) return GLOBALS[name];
    throw new Thrown({
      kind: 'reference',
      message: `ReferenceError: '${name}' is not defined`,
      name,
      start: node.start,
      end: node.end,
    });
  }

  private member(object: unknown, key: string, node: Node): unknown {
    if (object === UNKNOWN) return UNKNOWN;
    if (object === undefined || object === null) {
      throw new Thrown({
        kind: 'member-of-undefined',
        message: `TypeError: Cannot access member '${key}' of ${String(object)}`,
        name: key,
        start: node.start,
        end: node.end,
      });
    }
    if (typeof object === 'string') {
      if (key === 'length') return object.length;
      if (/^\d+$/.test(key)) return object[Number(key)];
      if (STRING_METHODS.has(key)) return method(String.prototype, key);
      return undefined;
    }
    if (typeof object === 'number')
      return NUMBER_METHODS.has(key) ? method(Number.prototype, key) : undefined;
    if (typeof object === 'boolean') return key === 'toString' ? method(Boolean.prototype, key) : undefined;
    if (Array.isArray(object)) {
      if (key === 'length') return object.length;
      if (/^\d+$/.test(key)) return object[Number(key)];
      if (ARRAY_METHODS.has(key)) return method(Array.prototype, key);
      if (['every', 'some', 'filter', 'map', 'forEach', 'reduce'].includes(key)) {
        throw new Unsupported(`Array.prototype.${key} needs a function`);
      }
      return undefined;
    }
    if (object instanceof RegExp) {
      if (REGEXP_METHODS.has(key)) return method(RegExp.prototype, key);
      if (['source', 'global', 'ignoreCase', 'multiline', 'lastIndex'].includes(key)) {
        return object[key as 'source'];
      }
      return undefined;
    }
    if (isNative(object)) return undefined;
    if (isObject(object)) {
      if (Object.prototype.hasOwnProperty.call(object, key)) return object[key];
      if (key === 'hasOwnProperty') {
        return native('hasOwnProperty', (self, [k]) => Object.prototype.hasOwnProperty.call(self, String(k)));
      }
      return undefined;
    }
    return undefined;
  }

  private call(node: Extract<AnyNode, { type: 'CallExpression' }>): unknown {
    let self: unknown = undefined;
    let callee: unknown;
    let name: string;
    const target = node.callee as AnyNode;
    if (target.type === 'MemberExpression') {
      self = this.expr(target.object as AnyNode);
      const key = target.computed
        ? this.expr(target.property as AnyNode)
        : (target.property as { name: string }).name;
      if (self === UNKNOWN || key === UNKNOWN) return this.unknownCall(node);
      name = String(key);
      callee = this.member(self, name, target);
    } else {
      callee = this.expr(target);
      name = target.type === 'Identifier' ? target.name : 'expression';
    }
    if (!isNative(callee)) {
      const error: FilterThrow = {
        kind: 'not-a-function',
        message: `TypeError: '${name}' is not a function`,
        name,
        start: target.type === 'MemberExpression' ? target.property.start : target.start,
        end: target.end,
      };
      if (target.type === 'MemberExpression') {
        const args = node.arguments;
        const first = args[0];
        const last = args[args.length - 1];
        error.call = {
          receiver: [target.object.start, target.object.end],
          args: first && last ? [first.start, last.end] : [node.end - 1, node.end - 1],
        };
      }
      throw new Thrown(error);
    }
    const args = node.arguments.map((a) => this.expr(a as AnyNode));
    if (args.includes(UNKNOWN)) return UNKNOWN;
    const result = callee.native(self, args);
    return result;
  }

  /** The arguments are still evaluated: one of them may throw on every machine. */
  private unknownCall(node: Extract<AnyNode, { type: 'CallExpression' }>): unknown {
    for (const a of node.arguments) this.expr(a as AnyNode);
    return UNKNOWN;
  }

  private unary(node: Extract<AnyNode, { type: 'UnaryExpression' }>): unknown {
    if (node.operator === 'typeof' && node.argument.type === 'Identifier') {
      // typeof of an undeclared name is 'undefined', not a ReferenceError.
      try {
        const value = this.identifier(node.argument.name, node.argument);
        return value === UNKNOWN ? UNKNOWN : typeOf(value);
      } catch (e) {
        if (e instanceof Thrown) return 'undefined';
        throw e;
      }
    }
    if (node.operator === 'delete') throw new Unsupported('delete');
    const value = this.expr(node.argument as AnyNode);
    if (value === UNKNOWN) return UNKNOWN;
    switch (node.operator) {
      case '!':
        return !truthy(value);
      case '-':
        return -Number(value);
      case '+':
        return Number(value);
      case '~':
        return ~Number(value);
      case 'typeof':
        return typeOf(value);
      case 'void':
        return undefined;
      default:
        throw new Unsupported(`unary ${node.operator}`);
    }
  }
}

const NO_COMPLETION = Symbol('no completion');

function truthy(value: unknown): boolean {
  return isNative(value) ? true : Boolean(value);
}

function regexp(pattern: string, flags: string): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch {
    throw new Unsupported('regular expression');
  }
}

function method(proto: object, key: string): NativeFunction {
  const fn = (proto as Record<string, (...a: unknown[]) => unknown>)[key]!;
  return native(key, (self, args) => {
    const result = fn.apply(self, args);
    // exec/match return arrays with extra properties; keep only the elements.
    return Array.isArray(result) ? [...result] : result;
  });
}

/** ES5 binary operators on plain values (Node's operators have the same semantics for them). */
function binary(operator: string, left: unknown, right: unknown, node: Node): unknown {
  if (left === UNKNOWN || right === UNKNOWN) return UNKNOWN;
  const l = left as never;
  const r = right as never;
  switch (operator) {
    // Loose equality is the very semantics being evaluated (filters write `==`).
    case '==':
      return l == r; // eslint-disable-line eqeqeq
    case '!=':
      return l != r; // eslint-disable-line eqeqeq
    case '===':
      return l === r;
    case '!==':
      return l !== r;
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    case '+':
      return (l as number) + (r as number);
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '<<':
      return l << r;
    case '>>':
      return l >> r;
    case '>>>':
      return l >>> r;
    case '&':
      return l & r;
    case '|':
      return l | r;
    case '^':
      return l ^ r;
    case 'in':
      if (!isObject(right) && !Array.isArray(right)) {
        throw new Thrown({
          kind: 'other',
          message: `TypeError: invalid 'in' operand`,
          name: 'in',
          start: node.start,
          end: node.end,
        });
      }
      return String(left) in (right as object);
    default:
      throw new Unsupported(`operator ${operator}`);
  }
}
