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
  /** The extension shows "Preview plan" in its own webview: the server need not open a Markdown preview. */
  previewDocument: boolean;
}

/**
 * `initializationOptions` for the server. Workspace code (a workflow's `registry:` entries) is only trusted
 * when the user asked for it *and* VS Code's workspace trust is granted.
 */
export function initializationOptions(trustSetting: boolean, workspaceTrusted: boolean): InitializationOptions {
  return { trust: trustSetting && workspaceTrusted, previewDocument: false };
}

export interface ImportFailure {
  interpreter: ResolvedInterpreter;
  /** `ENOENT` when the interpreter itself does not exist; otherwise the exit code or signal text. */
  code: string | number | undefined;
  stderr: string;
}

/**
 * Where fasthep-flow is installed from. It is not on the package index under its name (`fasthep-flow` there is
 * an unrelated upstream package), so the command names the repository; `<org>` stands for the GitHub
 * organisation that hosts it.
 */
export const REPOSITORY_GIT_URL = "https://github.com/<org>/fasthep-flow";

/** The extras the editor features and "Run plan" use. */
const EXTRAS = "hep,render";

/** A path as one shell word: quoted when it holds anything a shell would split or expand. */
export function shellWord(text: string): string {
  // Inside double quotes a backslash before an ordinary character stays itself (POSIX shells), and cmd.exe
  // takes backslashes literally: only the characters a shell would still expand are escaped.
  return /^[\w@%+=:,./\\-]+$/.test(text) ? text : `"${text.replace(/(["$`])/g, "\\$1")}"`;
}

/** The exact command installing fasthep-flow (from git) into `interpreter`. */
export function installCommand(interpreter: string): string {
  return `${shellWord(interpreter)} -m pip install "fasthep-flow[${EXTRAS}] @ git+${REPOSITORY_GIT_URL}"`;
}

/** The same from a local clone of the repository. */
export function installFromCloneCommand(interpreter: string): string {
  return `${shellWord(interpreter)} -m pip install "/path/to/fasthep-flow[${EXTRAS}]"`;
}

/** The message shown when `import fasthep_flow` fails, with the install command for that interpreter. */
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
    `Install it from its repository with \`${installCommand(path)}\` (<org> is the GitHub organisation ` +
    `hosting fasthep-flow), or from a clone with \`${installFromCloneCommand(path)}\`; ` +
    "or set fasthepFlow.interpreter to a Python that has it. " +
    "(The package index's fasthep-flow is an unrelated package.)"
  );
}

/** Only these settings change how the server is started, so only they trigger a restart. */
export const RESTART_SETTINGS: readonly string[] = ["fasthepFlow.interpreter", "fasthepFlow.trustWorkspace"];
