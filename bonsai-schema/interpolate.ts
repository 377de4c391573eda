import { diagnostic, NO_POSITION, type Diagnostic, type Position } from './diagnostics.js';

/** The two variables Bonsai substitutes in `asset_filename` and `sha_filename` (COMPAT §1). */
export interface InterpolationVars {
  /** The GitHub repository name, without the owner. */
  repo: string;
  /** The git tag verbatim, a leading `v` included. */
  version: string;
}

export const INTERPOLATION_TOKENS = ['#{repo}', '#{version}'] as const;

// `#{` up to the next `}` or, when there is none, to the end of the text (an unterminated token).
const TOKEN = /#\{([^}]*)(\}|$)/g;

/** Every token other than `#{repo}` and `#{version}`, as an error naming it and where it stands. */
export function checkInterpolation(
  template: string,
  field: string,
  at: Position = NO_POSITION,
): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const match of template.matchAll(TOKEN)) {
    const [token, name = '', close] = match;
    if (close === '}' && (name === 'repo' || name === 'version')) continue;
    const known = INTERPOLATION_TOKENS.join(' and ');
    const near = close === '}' ? nearestToken(name) : undefined;
    const what =
      close === '}' ? `unknown token '${token}'` : `unterminated token '${token}' (no closing '}')`;
    problems.push(
      diagnostic(
        'INTERPOLATION_UNKNOWN_TOKEN',
        `${field}: ${what}; Bonsai substitutes only ${known}` + (near ? ` (did you mean '${near}'?)` : ''),
        at,
      ),
    );
  }
  return problems;
}

/** Substitutes `#{repo}` and `#{version}`; unknown tokens are reported and left as written. */
export function interpolate(
  template: string,
  vars: InterpolationVars,
  field = 'value',
  at: Position = NO_POSITION,
): { value: string; diagnostics: Diagnostic[] } {
  const diagnostics = checkInterpolation(template, field, at);
  const value = template.replaceAll('#{repo}', vars.repo).replaceAll('#{version}', vars.version);
  if (value.trim() === '') {
    diagnostics.push(diagnostic('INTERPOLATION_EMPTY', `${field} value could not be interpolated`, at));
  }
  return { value, diagnostics };
}

function nearestToken(name: string): string | undefined {
  const bare = name.trim().toLowerCase();
  if (bare === 'repo' || bare === 'repository' || bare === 'name') return '#{repo}';
  if (bare === 'version' || bare === 'tag') return '#{version}';
  return undefined;
}
