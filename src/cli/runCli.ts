/**
 * The `stratus` command line: parses arguments and dispatches to commands.
 * In-process and side-effect free apart from the `CliIo` it is given, so tests
 * call it directly; src/cli/index.ts wires it to the real process.
 *
 * Exit codes (stable; scripts depend on them):
 *   0 converged / success, 1 some items failed, 2 usage or configuration error,
 *   3 stopped by a safety rail (e.g. mass delete) until confirmed.
 */
import { parseArgs } from 'node:util';

export const ExitCode = { ok: 0, itemsFailed: 1, usage: 2, safetyStop: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly version: string;
}

const USAGE = `Usage: stratus [--help] [--version] <command> [options]

Stratus keeps a local folder in two-way sync with your own prefix in an S3 bucket.

Options:
  -h, --help       Show this help.
  -v, --version    Print the version.

Exit codes: 0 success, 1 some items failed, 2 usage or configuration error,
3 stopped by a safety rail until confirmed.`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.stderr(`stratus: ${err instanceof Error ? err.message : String(err)}`);
    io.stderr('Run "stratus --help" for usage.');
    return ExitCode.usage;
  }
  if (parsed.values.version === true) {
    io.stdout(io.version);
    return ExitCode.ok;
  }
  const [command] = parsed.positionals;
  if (parsed.values.help === true || command === undefined) {
    io.stdout(USAGE);
    return command === undefined && parsed.values.help !== true ? ExitCode.usage : ExitCode.ok;
  }
  io.stderr(`stratus: unknown command "${command}".`);
  io.stderr('Run "stratus --help" for the commands this version has.');
  return ExitCode.usage;
}
