/**
 * Every build's filters run as the Sensu agent runs them, on every machine an agent reports
 * (agent-entities.ts), to say what the syntax check cannot: a filter that throws (and so makes the
 * agent refuse the whole asset), one that is never or always true, an assignment, a wrong-case or
 * unquoted name, a build with no filter, and builds that match the same machine.
 *
 * The agent's order (sensu-go `asset/filtered_manager.go`): builds in order, a build's filters in order,
 * the first false filter ends that build, the first build whose filters are all true is installed, and
 * an error from any filter fails the asset. sensu-go 7 picks among all matching builds the one with the
 * most filters, so it evaluates every build: there, one throwing filter fails the asset everywhere.
 */
import type { AnyNode, Node, Program } from 'acorn';
import {
  AGENT_MACHINES,
  entityShape,
  OPAQUE,
  type AgentMachine,
  type EntityObject,
} from './agent-entities.js';
import { hinted, NO_POSITION, type Diagnostic, type Position } from './diagnostics.js';
import { walkAst } from './ast-walk.js';
import { comparisonProblems } from './filters.js';
import { correctionFor } from './go-platforms.js';
import { ES6_METHODS, evaluateFilter, type FilterThrow, type StepBudget } from './otto-eval.js';
import { parseLikeOtto } from './otto-syntax.js';

export interface JudgedBuild {
  number: number;
  platform: string;
  arch: string;
  filters: readonly string[];
  positions: {
    platform: Position;
    filters: readonly Position[];
    /** Where each filter's first character sits, when the YAML maps it one to one (else undefined). */
    filterStarts?: readonly (Position | undefined)[];
  };
}

type Verdict = boolean | 'unknown' | FilterThrow;

interface JudgedFilter {
  expression: string;
  /** Undefined when the filter does not parse (FILTER_SYNTAX says so) or is empty. */
  program: Program | undefined;
  /** One verdict per machine of AGENT_MACHINES. */
  verdicts: Verdict[];
  /** filters.ts already warns about an impossible comparison in it (and says it better). */
  comparisonWarned: boolean;
}

/** A build's result on one machine: matched, not, cannot tell, or the filter (index) that throws. */
type BuildResult = true | false | 'unknown' | { throws: number };

const CONSEQUENCE =
  'a filter that throws makes the agent refuse the whole asset (sensu-go 7 evaluates every build, so on every machine)';

/** The diagnostics of the whole builds list: one rule for lint, check and ingest. */
export function judgeBuildFilters(builds: readonly JudgedBuild[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const judged = judgeAll(builds);
  builds.forEach((build, b) => {
    if (build.filters.length === 0) diagnostics.push(noFilter(build, b < builds.length - 1));
    judged[b]!.forEach((filter, f) => diagnostics.push(...filterDiagnostics(build, f, filter, judged[b]!)));
  });
  diagnostics.push(...overlaps(builds, judged));
  return diagnostics;
}

/**
 * Every filter of every build, each distinct text once, within one step budget for the whole file: past it,
 * the remaining filters are left unjudged (a hostile bonsai.yml cannot make lint, check or ingest slow).
 */
const FILE_STEP_BUDGET = 1_000_000;

function judgeAll(builds: readonly JudgedBuild[]): JudgedFilter[][] {
  const budget = { remaining: FILE_STEP_BUDGET };
  const seen = new Map<string, JudgedFilter>();
  return builds.map((b) =>
    b.filters.map((expression) => {
      let judged = seen.get(expression);
      if (!judged) {
        judged = judgeFilter(expression, budget);
        seen.set(expression, judged);
      }
      return judged;
    }),
  );
}

function judgeFilter(expression: string, budget: StepBudget): JudgedFilter {
  const parsed = parseLikeOtto(expression);
  // A filter that does not parse was refused (FILTER_SYNTAX): no verdict. An empty one is undefined,
  // false on every machine (FILTER_EMPTY said so).
  if (!parsed.ok) {
    return {
      expression,
      program: undefined,
      verdicts: AGENT_MACHINES.map(() => 'unknown'),
      comparisonWarned: false,
    };
  }
  if (parsed.program.body.length === 0) {
    return {
      expression,
      program: undefined,
      verdicts: AGENT_MACHINES.map(() => false),
      comparisonWarned: false,
    };
  }
  const program = parsed.program;
  const comparisonWarned = comparisonProblems(program, expression).length > 0;
  const verdicts = AGENT_MACHINES.map((m): Verdict => {
    if (budget.remaining <= 0) return 'unknown'; // the file's budget is spent: leave the rest unjudged
    const result = evaluateFilter(program, m.entity, budget);
    if (result.outcome === 'throw') return result.error;
    if (result.outcome === 'unsupported' || typeof result.value !== 'boolean') return 'unknown';
    return result.value;
  });
  return { expression, program, verdicts, comparisonWarned };
}

/** The build's result on machine m: its filters in order, the first false or throwing one decides. */
function buildResult(filters: readonly JudgedFilter[], m: number): BuildResult {
  let unknown = false;
  for (let f = 0; f < filters.length; f++) {
    const v = filters[f]!.verdicts[m]!;
    if (v === false) return false;
    if (v === 'unknown') unknown = true;
    else if (v !== true) return unknown ? 'unknown' : { throws: f };
  }
  return unknown ? 'unknown' : true;
}

function filterDiagnostics(
  build: JudgedBuild,
  index: number,
  filter: JudgedFilter,
  siblings: readonly JudgedFilter[],
): Diagnostic[] {
  const { program, expression } = filter;
  if (!program) return []; // FILTER_SYNTAX or FILTER_EMPTY already said it
  const at = (offset: number) => positionIn(build, index, expression, offset);
  const assignment = findNode(
    program,
    (n) => n.type === 'AssignmentExpression' || n.type === 'UpdateExpression',
  );
  if (assignment) return [assignmentDiagnostic(build, expression, assignment, at)];
  const wrongCase = wrongCasePath(program, expression);
  if (wrongCase) {
    return [
      hinted(
        'FILTER_WRONG_CASE',
        `build #${build.number}: \`${wrongCase.written}\` is not a name the agent uses: the entity's fields are ` +
          `its JSON names, lower-case (\`${wrongCase.fixed}\`), so \`${wrongCase.written}\` is undefined ` +
          (wrongCase.throws
            ? 'and reading a member of it throws; ' + CONSEQUENCE
            : 'and this filter never matches'),
        `write \`${wrongCase.fixed}\``,
        at(wrongCase.start),
      ),
    ];
  }
  // Machines that reach this filter: the build's earlier filters are all true there.
  const reached = AGENT_MACHINES.map((_, m) => siblings.slice(0, index).every((s) => s.verdicts[m] === true));
  const thrownAt = filter.verdicts.findIndex((v, m) => reached[m] && isThrow(v));
  if (thrownAt >= 0) {
    return [
      throwDiagnostic(
        build,
        expression,
        filter.verdicts[thrownAt] as FilterThrow,
        AGENT_MACHINES[thrownAt]!,
        at,
      ),
    ];
  }
  // The per-comparison warnings of filters.ts (arch == 'armv7' and the like) say it better.
  if (filter.comparisonWarned) return [];
  const known = filter.verdicts.filter((v) => v !== 'unknown' && !isThrow(v));
  if (known.length !== filter.verdicts.length) return [];
  if (known.every((v) => v === false)) return [neverMatches(build, program, expression, at(0))];
  if (known.every((v) => v === true)) {
    return [
      hinted(
        'FILTER_ALWAYS_TRUE',
        `build #${build.number}: \`${expression}\` is true on every machine an agent runs on, so it selects nothing`,
        `compare what this build is for (${suggestFilters(build).join(' and ')}), or remove it`,
        at(0),
      ),
    ];
  }
  return [];
}

function isThrow(v: Verdict): v is FilterThrow {
  return typeof v === 'object';
}

function assignmentDiagnostic(
  build: JudgedBuild,
  expression: string,
  node: AnyNode,
  at: (offset: number) => Position,
): Diagnostic {
  const written = expression.slice(node.start, node.end);
  const operatorAt =
    node.type === 'AssignmentExpression' ? expression.indexOf('=', node.left.end) : node.start;
  const fixed =
    node.type === 'AssignmentExpression' && node.operator === '='
      ? `${expression.slice(node.left.start, node.left.end)} == ${expression.slice(node.right.start, node.right.end)}`
      : undefined;
  return hinted(
    'FILTER_ASSIGNMENT',
    `build #${build.number}: \`${written}\` assigns instead of comparing; its value is what was assigned, ` +
      'so the filter does not test the machine (a non-empty value makes it match every machine)',
    fixed ? `compare with ==: \`${fixed}\`` : 'compare with == instead of changing a value',
    at(Math.max(0, operatorAt)),
  );
}

function throwDiagnostic(
  build: JudgedBuild,
  expression: string,
  error: FilterThrow,
  machine: AgentMachine,
  at: (offset: number) => Position,
): Diagnostic {
  const where = `on ${describeMachine(machine)}`;
  if (error.kind === 'reference') {
    return hinted(
      'FILTER_UNQUOTED_IDENTIFIER',
      `build #${build.number}: \`${expression}\` names \`${error.name}\`, which is not defined: the agent throws ` +
        `\`${error.message}\` (${where}); ${CONSEQUENCE}`,
      `quote the value: '${error.name}'`,
      at(error.start),
    );
  }
  if (error.kind === 'not-a-function' && ES6_METHODS[error.name] !== undefined) {
    return hinted(
      'FILTER_ES6_METHOD',
      `build #${build.number}: \`.${error.name}(...)\` is not in ES5, which is all the agent's otto interpreter ` +
        `has: it throws \`${error.message}\` (${where}); ${CONSEQUENCE}`,
      `write it in ES5: ${es5Rewrite(expression, error) ?? ES6_METHODS[error.name]}`,
      at(error.start),
    );
  }
  return hinted(
    'FILTER_THROWS',
    `build #${build.number}: \`${expression}\` throws \`${error.message}\` ${where} ` +
      `(entity.system = ${JSON.stringify(visibleSystem(machine.entity))}); ${CONSEQUENCE}`,
    'read only fields the agent reports (entity.system.os, arch, arm_version, platform, platform_family, ' +
      'platform_version), and check a field exists before calling a method on it',
    at(error.start),
  );
}

/** `x.startsWith('a')` → `x.indexOf('a') === 0`, with the filter's own receiver and argument. */
function es5Rewrite(source: string, error: FilterThrow): string | undefined {
  if (!error.call) return undefined;
  const receiver = source.slice(...error.call.receiver);
  const args = source.slice(...error.call.args);
  if (args === '') return undefined;
  switch (error.name) {
    case 'startsWith':
      return `\`${receiver}.indexOf(${args}) === 0\``;
    case 'includes':
      return `\`${receiver}.indexOf(${args}) !== -1\``;
    case 'endsWith':
      return `\`${receiver}.slice(-(${args}).length) === ${args}\``;
    default:
      return undefined;
  }
}

function neverMatches(build: JudgedBuild, program: Program, expression: string, at: Position): Diagnostic {
  const unknown = unknownPath(program, expression);
  if (unknown) {
    return hinted(
      'FILTER_NEVER_MATCHES',
      `build #${build.number}: \`${expression}\` can never be true: the agent reports no \`${unknown.written}\` ` +
        `(it is undefined on every machine)${unknown.suggestion ? `; it reports \`${unknown.suggestion}\`` : ''}`,
      unknown.suggestion
        ? `write \`${unknown.suggestion}\``
        : 'use a field of entity.system: os, arch, arm_version, platform, platform_family, platform_version',
      at,
    );
  }
  const reports = reportedValues(program, expression);
  return hinted(
    'FILTER_NEVER_MATCHES',
    `build #${build.number}: \`${expression}\` is false on every machine an agent runs on, so this build is never ` +
      `installed${reports ? `; ${reports.message}` : ''}`,
    reports?.hint ?? `compare what this build is for: ${suggestFilters(build).join(' and ')}`,
    at,
  );
}

/** What the agent reports for the entity.system fields a never-true filter compares with literals. */
function reportedValues(program: Program, source: string): { message: string; hint?: string } | undefined {
  const parts: string[] = [];
  let hint: string | undefined;
  walkAst(program, (node) => {
    if (node.type !== 'BinaryExpression' || !['==', '===', '!=', '!=='].includes(node.operator)) return;
    for (const [fieldSide, literal] of [
      [node.left, node.right],
      [node.right, node.left],
    ] as const) {
      const field = systemFieldOf(fieldSide as AnyNode);
      if (!field || literal.type !== 'Literal') continue;
      const values = [
        ...new Set(
          AGENT_MACHINES.map((m) => (m.entity.system as EntityObject)[field]).filter(
            (v) => v !== undefined && v !== OPAQUE,
          ),
        ),
      ];
      const shown = values.slice(0, 12).map((v) => JSON.stringify(v));
      const type = typeof values[0];
      parts.push(
        `the agent reports entity.system.${field} as a ${type}` +
          (shown.length > 0 ? ` (${shown.join(', ')}${values.length > 12 ? ', ...' : ''})` : ''),
      );
      if (type === 'number' && typeof literal.value === 'string' && hint === undefined) {
        hint = `compare with a number: \`${source.slice(fieldSide.start, fieldSide.end)} ${node.operator} ${Number(literal.value)}\``;
      }
    }
  });
  return parts.length > 0 ? { message: parts.join('; '), ...(hint ? { hint } : {}) } : undefined;
}

function noFilter(build: JudgedBuild, hasLaterBuilds: boolean): Diagnostic {
  return hinted(
    'BUILD_NO_FILTER',
    `build #${build.number} (${build.platform}/${build.arch}) has no filter, so the agent installs it on every ` +
      'machine, whatever its OS and arch' +
      (hasLaterBuilds
        ? '; the builds after it are never chosen by sensu-go up to 6.12 (it takes the first match)'
        : ''),
    `add filters such as ${suggestFilters(build)
      .map((f) => `"${f}"`)
      .join(', ')}; leave none only for an asset that runs anywhere (a JavaScript library, say)`,
    build.positions.platform,
  );
}

/**
 * For each machine, the first build with filters that matches it (what sensu-go up to 6.12 installs) and
 * every later one that matches it too: one warning per such pair, at the later build. Linear in builds
 * times machines, so a long builds list stays quick.
 */
function overlaps(
  builds: readonly JudgedBuild[],
  judged: readonly (readonly JudgedFilter[])[],
): Diagnostic[] {
  const pairs = new Map<string, { first: number; second: number; machines: AgentMachine[] }>();
  AGENT_MACHINES.forEach((machine, m) => {
    let first: number | undefined;
    builds.forEach((build, b) => {
      if (build.filters.length === 0 || buildResult(judged[b]!, m) !== true) return; // BUILD_NO_FILTER says it
      if (first === undefined) {
        first = b;
        return;
      }
      const key = `${first}:${b}`;
      const pair = pairs.get(key) ?? { first, second: b, machines: [] };
      pair.machines.push(machine);
      pairs.set(key, pair);
    });
  });
  return [...pairs.values()]
    .sort((x, y) => x.second - y.second || x.first - y.first)
    .map(({ first: i, second: j, machines }) => {
      const [first, second] = [builds[i]!, builds[j]!];
      return hinted(
        'BUILDS_OVERLAP',
        `build #${second.number} (${second.platform}/${second.arch}) and build #${first.number} ` +
          `(${first.platform}/${first.arch}) both match ${summarize(machines)}: sensu-go up to 6.12 installs the ` +
          `first that matches (build #${first.number}), 7.x the one with the most filters`,
        'make their filters exclusive (compare entity.system.arch, arm_version or platform in each)',
        second.positions.platform,
      );
    });
}

/** `linux/amd64`, `linux/amd64 (alpine 3.18.4)` (when only some distributions), joined, at most six. */
function summarize(machines: readonly AgentMachine[]): string {
  const parts = labels(machines);
  return parts.length > 6 ? `${parts.slice(0, 6).join(', ')} and ${parts.length - 6} more` : parts.join(', ');
}

function describeMachine(m: AgentMachine): string {
  return m.os === 'linux' ? `${m.label} (${m.release})` : m.label;
}

function visibleSystem(entity: EntityObject): Record<string, unknown> {
  const system = entity.system as EntityObject;
  return Object.fromEntries(
    Object.entries(system).filter(([, v]) => typeof v === 'string' || typeof v === 'number'),
  );
}

/** The filters that select what a build's platform and arch say, in the agent's own values. */
export function suggestFilters(build: { platform: string; arch: string }): string[] {
  const out: string[] = [];
  const os = goValue('os', build.platform);
  if (os) out.push(`entity.system.os == '${os.value}'`);
  const arch = goValue('arch', build.arch);
  if (arch) {
    out.push(`entity.system.arch == '${arch.value}'`);
    if (arch.armVersion !== undefined) out.push(`entity.system.arm_version == ${arch.armVersion}`);
  }
  return out.length > 0 ? out : ["entity.system.os == 'linux'", "entity.system.arch == 'amd64'"];
}

function goValue(field: 'os' | 'arch', written: string): { value: string; armVersion?: number } | undefined {
  const correction = correctionFor(field, written);
  if (correction === undefined) return { value: written };
  if (correction.kind === 'replace') return correction;
  if (correction.kind === 'other-field') return { value: 'linux' };
  return undefined;
}

interface PathProblem {
  written: string;
  fixed: string;
  start: number;
  throws: boolean;
}

/** `entity.System.OS` → the first name written in another case than the agent's (`entity.system`). */
function wrongCasePath(program: Program, source: string): PathProblem | undefined {
  let found: PathProblem | undefined;
  walkAst(program, (node) => {
    if (found || node.type !== 'MemberExpression') return;
    const chain = entityChain(node);
    if (!chain) return;
    let shape: EntityObject = entityShape();
    const fixed: string[] = ['entity'];
    for (let k = 0; k < chain.names.length; k++) {
      const name = chain.names[k]!;
      const value = shape[name];
      if (value !== undefined) {
        fixed.push(name);
        if (typeof value !== 'object' || Array.isArray(value)) return;
        shape = value;
        continue;
      }
      const match = Object.keys(shape).find((key) => squash(key) === squash(name));
      if (!match) return;
      fixed.push(match);
      found = {
        written: `entity.${chain.names.slice(0, k + 1).join('.')}`,
        fixed: fixed.join('.'),
        start: chain.starts[k]!,
        throws: k < chain.names.length - 1,
      };
      return;
    }
  });
  void source;
  return found;
}

/** `entity.os` → the name the agent does not report, and where it does report one like it. */
function unknownPath(program: Program, source: string): { written: string; suggestion?: string } | undefined {
  let found: { written: string; suggestion?: string } | undefined;
  walkAst(program, (node) => {
    if (found || node.type !== 'MemberExpression') return;
    const chain = entityChain(node);
    if (!chain) return;
    let shape: EntityObject = entityShape();
    for (let k = 0; k < chain.names.length; k++) {
      const name = chain.names[k]!;
      const value = shape[name];
      if (value === undefined) {
        const written = `entity.${chain.names.slice(0, k + 1).join('.')}`;
        const system = entityShape().system as EntityObject;
        const suggestion = k === 0 && name in system ? `entity.system.${name}` : undefined;
        found = suggestion ? { written, suggestion } : { written };
        return;
      }
      if (typeof value !== 'object' || Array.isArray(value)) return;
      shape = value;
    }
  });
  void source;
  return found;
}

/** `entity.a.b.c` (the outermost member of a chain) → ['a', 'b', 'c'] with each name's offset. */
function entityChain(node: AnyNode): { names: string[]; starts: number[] } | undefined {
  const names: string[] = [];
  const starts: number[] = [];
  let current: AnyNode = node;
  while (current.type === 'MemberExpression') {
    const property = current.property as AnyNode;
    if (!current.computed && property.type === 'Identifier') names.unshift(property.name);
    else if (current.computed && property.type === 'Literal' && typeof property.value === 'string')
      names.unshift(property.value);
    else return undefined;
    starts.unshift(property.start);
    current = current.object as AnyNode;
  }
  if (current.type !== 'Identifier' || current.name !== 'entity') return undefined;
  return { names, starts };
}

function squash(name: string): string {
  return name.toLowerCase().replaceAll('_', '');
}

function systemFieldOf(node: AnyNode): string | undefined {
  const chain = entityChain(node);
  return chain && chain.names.length === 2 && chain.names[0] === 'system' ? chain.names[1] : undefined;
}

function findNode(root: Node, test: (node: AnyNode) => boolean): AnyNode | undefined {
  let found: AnyNode | undefined;
  walkAst(root, (node) => {
    if (!found && test(node)) found = node;
  });
  return found;
}

/** The bonsai.yml position of offset `offset` in a filter, when the filter's text maps one to one. */
function positionIn(build: JudgedBuild, index: number, expression: string, offset: number): Position {
  const start = build.positions.filterStarts?.[index];
  const fallback = build.positions.filters[index] ?? NO_POSITION;
  if (!start || expression.slice(0, offset).includes('\n')) return fallback;
  return { line: start.line, column: start.column + offset };
}

// ---------------------------------------------------------------------------------------------------
// lint --explain: which build each machine gets

export interface ExplainRow {
  /** The build's number, or undefined for machines no build is chosen for. */
  build: number | undefined;
  /** `linux/amd64`, or `linux/amd64 (alpine 3.18.4)` when only some distributions. */
  machines: string[];
  /** 'chosen', or why not: a filter throws there, or the answer depends on labels, time, host names. */
  outcome: 'chosen' | 'fails' | 'depends' | 'none';
}

/**
 * For each build, the machines sensu-go (up to 6.12: first match) installs it on; then the machines where
 * the asset fails (a filter throws), where it depends on what the check cannot know, and where no build
 * matches.
 */
export function explainBuilds(builds: readonly JudgedBuild[]): ExplainRow[] {
  const judged = judgeAll(builds);
  const chosen = new Map<string, AgentMachine[]>();
  const add = (key: string, m: AgentMachine) => chosen.set(key, [...(chosen.get(key) ?? []), m]);
  AGENT_MACHINES.forEach((machine, m) => {
    for (let b = 0; b < builds.length; b++) {
      const result = buildResult(judged[b]!, m);
      if (result === false) continue;
      if (result === true) add(`chosen:${b}`, machine);
      else if (result === 'unknown') add('depends', machine);
      else add('fails', machine);
      return;
    }
    add('none', machine);
  });
  const rows: ExplainRow[] = builds.map((build, b) => ({
    build: build.number,
    machines: labels(chosen.get(`chosen:${b}`) ?? []),
    outcome: 'chosen',
  }));
  for (const outcome of ['fails', 'depends', 'none'] as const) {
    const machines = chosen.get(outcome);
    if (machines) rows.push({ build: undefined, machines: labels(machines), outcome });
  }
  return rows;
}

function labels(machines: readonly AgentMachine[]): string[] {
  const byLabel = new Map<string, AgentMachine[]>();
  for (const m of machines) byLabel.set(m.label, [...(byLabel.get(m.label) ?? []), m]);
  return [...byLabel].map(([label, ms]) => {
    const all = AGENT_MACHINES.filter((m) => m.label === label).length;
    return ms.length === all || all === 1 ? label : `${label} (${ms.map((m) => m.release).join(', ')})`;
  });
}
