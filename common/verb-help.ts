import { Help, type Command } from 'commander';
import type { Io, Output } from './io.js';

/**
 * One style for every verb's `--help` (checked by test/cli/help.test.ts): a one-sentence summary, a
 * description in sentences, one sentence per argument and option, then the examples and the exit
 * codes, everything wrapped to the terminal's width.
 */
export interface VerbHelp {
  examples: readonly string[];
  /** Each exit code the verb uses, with what it means for this verb. */
  exitCodes: readonly (readonly [code: number, meaning: string])[];
}

/** Help is wrapped to the terminal's width, and to 80 columns when it goes to a pipe or a file. */
export function helpWidth(out: Output): number {
  return out.isTTY === true && out.columns !== undefined && out.columns > 0 ? out.columns : 80;
}

/** Adds the Examples and Exit codes sections after the verb's help. */
export function withVerbHelp(command: Command, io: Io, help: VerbHelp): Command {
  return command.addHelpText('after', (context) =>
    formatVerbHelp(help, helpWidth(context.error ? io.stderr : io.stdout)),
  );
}

export function formatVerbHelp(help: VerbHelp, width: number): string {
  const wrapper = new Help();
  const indent = '  ';
  const examples = help.examples.map((e) => wrapShell(indent + e, width, indent + '    '));
  const codeWidth = Math.max(...help.exitCodes.map(([code]) => String(code).length));
  const exitCodes = help.exitCodes.map(([code, meaning]) => {
    const term = `${indent}${String(code).padEnd(codeWidth)}  `;
    const wrapped = wrapper.boxWrap(meaning, Math.max(20, width - term.length));
    return term + wrapped.replace(/\n/g, '\n' + ' '.repeat(term.length));
  });
  return `\nExamples:\n${examples.join('\n')}\n\nExit codes:\n${exitCodes.join('\n')}\n`;
}

/** A long example is broken at spaces with shell continuations, so it can still be pasted as it is. */
function wrapShell(line: string, width: number, continuation: string): string {
  const lines: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width - 2);
    if (cut <= continuation.length) break;
    lines.push(rest.slice(0, cut) + ' \\');
    rest = continuation + rest.slice(cut + 1);
  }
  lines.push(rest);
  return lines.join('\n');
}
