/**
 * The files `bonsai init` writes: the hello-world asset of the Sensu docs (a shell script in bin/ that
 * prints Hello World), a bonsai.yml for the platforms an agent can run it on, a short README and a
 * .gitignore for dist/.
 */

export interface ScaffoldFile {
  /** Relative to the project folder, `/`-separated. */
  path: string;
  content: string;
  executable: boolean;
  /** Written only when missing; an existing one is kept and does not stop init. */
  optional?: boolean;
}

/** A name usable as a command, a file name and a Sensu asset name (`^[\w/_.\-:]+$` minus `/` and `:`). */
export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** (platform, arch, GOOS, GOARCH filters) of each build, in bonsai.yml order. */
const BUILDS: readonly { platform: string; arch: string; filters: readonly string[] }[] = [
  {
    platform: 'linux',
    arch: 'amd64',
    filters: ["entity.system.os == 'linux'", "entity.system.arch == 'amd64'"],
  },
  {
    platform: 'linux',
    arch: 'arm64',
    filters: ["entity.system.os == 'linux'", "entity.system.arch == 'arm64'"],
  },
  {
    platform: 'linux',
    arch: 'armv7',
    // The agent reports Go's GOARCH ('arm') and the ARM version separately: 'armv7' never matches.
    filters: ["entity.system.os == 'linux'", "entity.system.arch == 'arm'", 'entity.system.arm_version == 7'],
  },
  {
    platform: 'darwin',
    arch: 'amd64',
    filters: ["entity.system.os == 'darwin'", "entity.system.arch == 'amd64'"],
  },
  {
    platform: 'windows',
    arch: 'amd64',
    filters: ["entity.system.os == 'windows'", "entity.system.arch == 'amd64'"],
  },
];

/** The Windows build's own bin/: the agent runs checks through `cmd /c`, which finds `<name>.cmd` on PATH. */
export const WINDOWS_OVERRIDE = 'build/windows_amd64';

function bonsaiYml(): string {
  const lines = ['---', 'description: "#{repo}"', 'builds:'];
  for (const b of BUILDS) {
    lines.push(
      `  - platform: "${b.platform}"`,
      `    arch: "${b.arch}"`,
      `    asset_filename: "#{repo}_#{version}_${b.platform}_${b.arch}.tar.gz"`,
      '    sha_filename: "#{repo}_#{version}_sha512-checksums.txt"',
      '    filter:',
      ...b.filters.map((f) => `      - "${f}"`),
    );
  }
  lines.push('');
  return lines.join('\n');
}

function shellScript(name: string): string {
  return [
    '#!/bin/sh',
    `# ${name}: the Hello World of Sensu assets. A check passes when its command exits 0,`,
    '# warns on 1 and is critical on 2 or more.',
    'echo "Hello World" || exit 2',
    'exit 0',
    '',
  ].join('\n');
}

function windowsScript(): string {
  return [
    '@echo off',
    'rem The Hello World of Sensu assets, for Windows agents (run through cmd /c).',
    'echo Hello World',
    'exit /b 0',
    '',
  ].join('\r\n');
}

function readme(name: string): string {
  return `# ${name}

A Sensu asset: \`${name}\` prints \`Hello World\` and exits 0, so a check running it passes.

## Layout

- \`bin/${name}\`: the command (a POSIX shell script) for Linux (amd64, arm64, 32-bit ARMv7) and macOS.
- \`${WINDOWS_OVERRIDE}/bin/${name}.cmd\`: the same for Windows. The Windows build takes its \`bin/\` from
  \`${WINDOWS_OVERRIDE}/\` instead of the project's, and the agent runs commands through \`cmd /c\`, which finds
  \`${name}.cmd\` on PATH. A compiled asset would put \`${name}.exe\` there.
- \`bonsai.yml\`: one build per platform, each with the filters the agent matches
  (\`entity.system.arch\` is Go's GOARCH: 32-bit ARM is \`arch == 'arm'\` with \`arm_version == 7\`).

## Release

\`\`\`sh
git tag 0.0.1            # the tag is the version, verbatim, in every file name
bonsai pack              # dist/: one .tar.gz per build and ${name}_0.0.1_sha512-checksums.txt
bonsai check             # what the registry will say about this release, before it exists
git push origin 0.0.1
GITHUB_TOKEN=... bonsai publish --repo OWNER/${name} --tag 0.0.1
\`\`\`

\`bonsai publish\` runs the same check, creates the GitHub release of the tag, uploads every file of
\`dist/\` that bonsai.yml names, and publishes the release last, so a registry never sees it without its
files. (\`dist/\` is in \`.gitignore\`: release files belong to the release, not to the repository.)

Users add the asset with \`sensuctl asset add OWNER/${name}:0.0.1\` (from bonsai.sensu.io) or
\`bonsai add OWNER/${name}:0.0.1 --registry URL\` (from any Bonsai-compatible registry), and run
\`${name}\` as a check command with the asset in \`runtime_assets\`.
`;
}

/** Every file of a new project called `name`. */
export function scaffoldFiles(name: string): ScaffoldFile[] {
  return [
    { path: 'bonsai.yml', content: bonsaiYml(), executable: false },
    { path: 'README.md', content: readme(name), executable: false },
    { path: `bin/${name}`, content: shellScript(name), executable: true },
    { path: `${WINDOWS_OVERRIDE}/bin/${name}.cmd`, content: windowsScript(), executable: true },
    // Packed files are release files: keep them out of git. An existing .gitignore is kept as it is.
    { path: '.gitignore', content: 'dist/\n', executable: false, optional: true },
  ];
}
