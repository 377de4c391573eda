import type { VerbRegistration } from '../common/verb.js';

/**
 * A group of sub-verbs (`bonsai registry ...`) whose registration, and so every module its verbs
 * import, is loaded only when the command line names the group: `bonsai lint` and `bonsai --help`
 * never load the registry's server, database and cache clients.
 */
export interface LazyGroup {
  name: string;
  /** The line the root help shows for the group (the group's own summary, checked by test/cli/lazy-verbs.test.ts). */
  summary: string;
  load(): Promise<VerbRegistration>;
}

/** What cli/verbs.ts lists: a verb registered at once, or a group loaded when named. */
export type VerbEntry = VerbRegistration | LazyGroup;

/**
 * The registrations `argv` needs: each group the command line names (`bonsai GROUP ...`,
 * `bonsai help GROUP`) is loaded; the others are registered by name and summary only, so the root
 * help and commander's "did you mean" read the same as with the group loaded.
 */
export async function verbsFor(
  argv: readonly string[],
  entries: readonly VerbEntry[],
): Promise<VerbRegistration[]> {
  const named = namedVerb(argv);
  return Promise.all(
    entries.map((entry) =>
      typeof entry === 'function' ? entry : entry.name === named ? entry.load() : summaryOnly(entry),
    ),
  );
}

/** Every registration loaded: for walking every verb (test/cli/help.test.ts). */
export function loadAllVerbs(entries: readonly VerbEntry[]): Promise<VerbRegistration[]> {
  return Promise.all(entries.map((entry) => (typeof entry === 'function' ? entry : entry.load())));
}

/** The verb the command line names: root options (-h, -V) take no value, so it is the first operand. */
function namedVerb(argv: readonly string[]): string | undefined {
  const operands = argv.filter((arg) => !arg.startsWith('-'));
  return operands[0] === 'help' ? operands[1] : operands[0];
}

function summaryOnly(group: LazyGroup): VerbRegistration {
  return (program) => {
    program.command(group.name).summary(group.summary);
  };
}
