/**
 * Which Python runs the language server. The order is a promise to users (README, docs/editors/vscode.md):
 * the explicit setting wins, then the Python extension's selected environment, then `python3`. Kept free of
 * `vscode` so the order is unit-tested.
 */

export type InterpreterSource = "setting" | "python-extension" | "default";

export interface InterpreterInputs {
  /** Value of `fasthepFlow.interpreter` (may be empty or undefined). */
  setting: string | undefined;
  /** Executable of the Python extension's active environment, when that extension is installed. */
  pythonExtension: string | undefined;
  /** `process.platform`: Windows has no `python3` launcher by default. */
  platform: string;
  /** First workspace folder, for `${workspaceFolder}` in the setting. */
  workspaceFolder?: string | undefined;
  /** Home directory, for `${userHome}` and a leading `~`. */
  home?: string | undefined;
}

export interface ResolvedInterpreter {
  path: string;
  source: InterpreterSource;
}

/** The fallback when nothing is configured. */
export function defaultInterpreter(platform: string): string {
  return platform === "win32" ? "python" : "python3";
}

/** Expands `${workspaceFolder}`, `${userHome}` and a leading `~` the way VS Code settings usually do. */
export function expandSetting(value: string, workspaceFolder?: string, home?: string): string {
  let out = value.trim();
  if (home !== undefined && (out === "~" || out.startsWith("~/") || out.startsWith("~\\"))) {
    out = home + out.slice(1);
  }
  out = out.replace(/\$\{userHome\}/g, () => home ?? "${userHome}");
  out = out.replace(/\$\{workspaceFolder\}/g, () => workspaceFolder ?? "${workspaceFolder}");
  return out;
}

/** Applies the resolution order: setting, then Python extension, then the platform default. */
export function resolveInterpreter(inputs: InterpreterInputs): ResolvedInterpreter {
  const setting = inputs.setting?.trim() ?? "";
  if (setting !== "") {
    return { path: expandSetting(setting, inputs.workspaceFolder, inputs.home), source: "setting" };
  }
  const fromExtension = inputs.pythonExtension?.trim() ?? "";
  if (fromExtension !== "") {
    return { path: fromExtension, source: "python-extension" };
  }
  return { path: defaultInterpreter(inputs.platform), source: "default" };
}

/** Words for the output channel and error messages: where the interpreter came from. */
export function describeSource(source: InterpreterSource): string {
  switch (source) {
    case "setting":
      return "from the setting fasthepFlow.interpreter";
    case "python-extension":
      return "selected in the Python extension";
    case "default":
      return "the default, since neither fasthepFlow.interpreter nor the Python extension names one";
  }
}
