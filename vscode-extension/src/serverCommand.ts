/**
 * The command lines the extension runs and the messages it shows when they fail. Pure functions: the
 * `vscode`-facing code only executes what these return.
 */
import { describeSource, type ResolvedInterpreter } from "./interpreter";

export interface CommandLine {
  command: string;
  args: string[];
}

/** `python -m fasthep_flow lsp`: stdio transport is the server's default. */
export function serverCommandLine(interpreter: string): CommandLine {
  return { command: interpreter, args: ["-m", "fasthep_flow", "lsp"] };
}

/** The cheap probe run before starting the server, so a missing package gets a message instead of a crash loop. */
export function importCheckCommandLine(interpreter: string): CommandLine {
  return { command: interpreter, args: ["-c", "import fasthep_flow"] };
}

/** Environment for the server process: unbuffered, so log lines reach the output channel as they happen. */
export function serverEnvironment(base: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...base, PYTHONUNBUFFERED: "1" };
}

export interface InitializationOptions {
  trust: boolean;
}

/**
 * `initializationOptions` for the server. Workspace code (a workflow's `registry:` entries) is only trusted
 * when the user asked for it *and* VS Code's workspace trust is granted.
 */
export function initializationOptions(trustSetting: boolean, workspaceTrusted: boolean): InitializationOptions {
  return { trust: trustSetting && workspaceTrusted };
}

export interface ImportFailure {
  interpreter: ResolvedInterpreter;
  /** `ENOENT` when the interpreter itself does not exist; otherwise the exit code or signal text. */
  code: string | number | undefined;
  stderr: string;
}

/** The message shown when `import fasthep_flow` fails, with the install hint. */
export function importFailureMessage(failure: ImportFailure): string {
  const { path, source } = failure.interpreter;
  const where = `'${path}' (${describeSource(source)})`;
  if (failure.code === "ENOENT") {
    return (
      `FAST-HEP Flow: the Python interpreter ${where} was not found. ` +
      "Set fasthepFlow.interpreter to a Python that has fasthep-flow installed."
    );
  }
  return (
    `FAST-HEP Flow: the Python interpreter ${where} cannot import fasthep_flow. ` +
    `Install it with \`${path} -m pip install fasthep-flow\` (or \`pip install fasthep-flow\` in that ` +
    "environment), or set fasthepFlow.interpreter to a Python that has it."
  );
}

/** Only these settings change how the server is started, so only they trigger a restart. */
export const RESTART_SETTINGS: readonly string[] = ["fasthepFlow.interpreter", "fasthepFlow.trustWorkspace"];
