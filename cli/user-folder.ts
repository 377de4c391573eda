/**
 * The folder the user ran `bonsai` from. `npm run bonsai -- VERB` (and `npm --prefix CLONE run bonsai`)
 * runs the CLI in the clone's root, with the user's folder in INIT_CWD: relative paths, `init`'s new
 * project and `registry serve`'s data belong there. Only our own `bonsai` script is redirected: the
 * installed bin run by another project's npm script keeps that script's folder, as npm intends.
 */
export function userFolder(env: Record<string, string | undefined>, cwd: string): string {
  const ours = env.npm_lifecycle_event === 'bonsai' && env.npm_package_name === 'sensu-bonsai-hub';
  return ours && env.INIT_CWD ? env.INIT_CWD : cwd;
}
