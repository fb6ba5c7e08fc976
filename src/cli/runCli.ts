/**
 * The `stratus` command line: parses arguments and dispatches to commands.
 * In-process and side-effect free apart from the `CliIo` it is given (and the
 * sync folder and server a command is pointed at), so tests call it directly;
 * src/cli/index.ts wires it to the real process.
 *
 * Exit codes (stable; scripts depend on them, see exitCodes.ts):
 *   0 converged / success, 1 some items failed, 2 usage or configuration error,
 *   3 stopped by a safety rail (e.g. mass delete) until confirmed.
 */
import { parseCliArgs, unusedOption, type OptionName, type ParsedArgs } from './args.js';
import type { CliIo, CommandIo } from './CliIo.js';
import { runLogin } from './commands/login.js';
import { runLogout } from './commands/logout.js';
import { runDoctor } from './commands/doctor.js';
import { runConfig } from './commands/config.js';
import { runStatus } from './commands/status.js';
import { runWhoami } from './commands/whoami.js';
import { runSync } from './commands/sync.js';
import { runWatch } from './commands/watch.js';
import { ExitCode } from './exitCodes.js';
import { stackLines } from './failures.js';
import { USAGE } from './usage.js';

export { ExitCode } from './exitCodes.js';
export type { CliIo } from './CliIo.js';

const SETTINGS: readonly OptionName[] = ['config', 'folder', 'bucket', 'region', 'endpoint', 'auth', 'prefix'];
const COMMON: readonly OptionName[] = ['help', 'version', 'verbose', 'json', ...SETTINGS];

interface Command {
  readonly options: readonly OptionName[];
  readonly run: (args: ParsedArgs, io: CommandIo) => Promise<ExitCode>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  sync: { options: [...COMMON, 'once', 'dry-run', 'confirm-deletes', 'confirm-download', 'limit-up', 'limit-down'], run: runSync },
  watch: { options: [...COMMON, 'debounce-ms', 'poll-ms', 'full-list-ms', 'limit-up', 'limit-down', 'ui', 'ui-port'], run: runWatch },
  // Status accepts the settings flags too (it uses only --folder), so one alias with settings serves both commands.
  status: { options: COMMON, run: runStatus },
  // Sign-in commands take the settings flags (they use the cognito block of --config).
  login: { options: [...COMMON, 'no-browser'], run: runLogin },
  logout: { options: [...COMMON, 'no-browser'], run: runLogout },
  whoami: { options: COMMON, run: runWhoami },
  // The connection settings of sync (a folder may be given, e.g. by a shared config file, and is ignored).
  doctor: { options: COMMON, run: runDoctor },
  // Effective settings and where each comes from (policy, flag, config file, default).
  config: { options: COMMON, run: runConfig },
};

/** Commands the design has (ARCHITECTURE.md) that this version does not: say so rather than "unknown". */
const LATER: Readonly<Record<string, string>> = {};

function usageError(io: CliIo, line: string, hint = 'Run "stratus --help" for usage.'): ExitCode {
  io.stderr(`stratus: ${line}`);
  io.stderr(hint);
  return ExitCode.usage;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) return usageError(io, parsed.error);
  const args = parsed.args;
  if (args.version) {
    io.stdout(io.version);
    return ExitCode.ok;
  }
  if (args.help || args.command === undefined) {
    io.stdout(USAGE);
    return args.help ? ExitCode.ok : ExitCode.usage;
  }
  const later = LATER[args.command];
  if (later !== undefined) return usageError(io, later, 'Run "stratus --help" for the commands this version has.');
  const command = Object.hasOwn(COMMANDS, args.command) ? COMMANDS[args.command] : undefined;
  if (command === undefined) {
    return usageError(io, `unknown command "${args.command}".`, 'Run "stratus --help" for the commands this version has.');
  }
  const extra = unusedOption(args, command.options);
  if (extra !== undefined) return usageError(io, `--${extra} is not an option of "stratus ${args.command}".`);
  if (args.rest.length > 0) return usageError(io, `unexpected argument "${args.rest[0] ?? ''}" after "stratus ${args.command}".`);

  const commandIo: CommandIo = { ...io, env: io.env ?? {}, cwd: io.cwd ?? process.cwd() };
  try {
    return await command.run(args, commandIo);
  } catch (err) {
    // Commands report every failure they expect; this is a bug, said in one line unless --verbose.
    io.stderr(`stratus: unexpected error: ${err instanceof Error ? err.message : String(err)}${args.verbose ? '' : ' (run with --verbose for details)'}`);
    if (args.verbose) for (const line of stackLines(err)) io.stderr(line);
    return ExitCode.itemsFailed;
  }
}
