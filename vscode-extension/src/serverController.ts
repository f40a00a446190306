/**
 * Starts, stops and restarts the language server. Every decision (which interpreter, which command line, which
 * options) comes from the pure modules; this file only talks to VS Code and the child process.
 */
import { execFile } from "node:child_process";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  type ExecuteCommandRegistrationOptions,
  LanguageClient,
  type LanguageClientOptions,
  type RegistrationData,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";
import { passThroughServerCommands } from "./commandTable";
import { FLOW_SUFFIXES } from "./flowDocument";
import { describeSource, type ResolvedInterpreter, resolveInterpreter } from "./interpreter";
import { ProgressNotifications } from "./progressNotifications";
import { hasPythonExtension, pythonExtensionInterpreter } from "./pythonExtension";
import {
  type ImportFailure,
  importCheckCommandLine,
  importFailureMessage,
  initializationOptions,
  serverCommandLine,
  serverEnvironment,
} from "./serverCommand";

const LANGUAGE_ID = "fasthep-flow";
const IMPORT_CHECK_TIMEOUT_MS = 60_000;

function runImportCheck(interpreter: ResolvedInterpreter): Promise<ImportFailure | undefined> {
  const line = importCheckCommandLine(interpreter.path);
  return new Promise((resolve) => {
    execFile(line.command, line.args, { timeout: IMPORT_CHECK_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve(undefined);
        return;
      }
      const code = (error as NodeJS.ErrnoException).code ?? error.signal ?? undefined;
      resolve({ interpreter, code, stderr: String(stderr) });
    });
  });
}

interface CommandRegistrar {
  register(data: RegistrationData<ExecuteCommandRegistrationOptions>): void;
}

/**
 * The server advertises `fasthep-flow.runPlan`/`previewPlan` as executeCommand commands; the language client
 * would register VS Code commands for them, colliding with ours (VS Code throws on a duplicate id). Filter the ids
 * this extension owns out of every registration, initial or dynamic.
 */
function keepOwnCommands(client: LanguageClient, output: vscode.LogOutputChannel): void {
  const lookup = client as unknown as { getFeature(method: string): CommandRegistrar | undefined };
  const feature = lookup.getFeature(ExecuteCommandRequest.method);
  if (feature === undefined) {
    output.warn("vscode-languageclient has no executeCommand feature to filter; server commands may collide");
    return;
  }
  const register = feature.register.bind(feature);
  feature.register = (data) => {
    const commands = passThroughServerCommands(data.registerOptions.commands);
    register({ ...data, registerOptions: { ...data.registerOptions, commands } });
  };
}

export class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private clientDisposables: vscode.Disposable[] = [];
  private queue: Promise<void> = Promise.resolve();
  private readonly progress: ProgressNotifications;

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.progress = new ProgressNotifications(output);
  }

  /** The running client, or undefined when the server is not running (e.g. fasthep_flow is not importable). */
  get running(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  get progressNotifications(): ProgressNotifications {
    return this.progress;
  }

  /** Restarts are queued so a burst of setting changes cannot start two servers. */
  restart(reason: string): Promise<void> {
    this.queue = this.queue.then(async () => {
      this.output.info(`(re)starting the language server: ${reason}`);
      await this.stopClient();
      await this.startClient();
    });
    return this.queue;
  }

  stop(): Promise<void> {
    this.queue = this.queue.then(() => this.stopClient());
    return this.queue;
  }

  dispose(): void {
    void this.stop();
  }

  private async resolve(): Promise<ResolvedInterpreter> {
    const config = vscode.workspace.getConfiguration("fasthepFlow");
    const folder = vscode.workspace.workspaceFolders?.[0];
    return resolveInterpreter({
      setting: config.get<string>("interpreter"),
      pythonExtension: await pythonExtensionInterpreter(folder?.uri),
      platform: process.platform,
      workspaceFolder: folder?.uri.fsPath,
      home: os.homedir(),
    });
  }

  private async startClient(): Promise<void> {
    const interpreter = await this.resolve();
    this.output.info(`Python interpreter: ${interpreter.path} (${describeSource(interpreter.source)})`);
    const failure = await runImportCheck(interpreter);
    if (failure !== undefined) {
      const message = importFailureMessage(failure);
      this.output.error(message);
      if (failure.stderr.trim() !== "") {
        this.output.error(failure.stderr.trim());
      }
      void this.offerFixes(message);
      return;
    }

    const line = serverCommandLine(interpreter.path);
    const serverOptions: ServerOptions = {
      command: line.command,
      args: line.args,
      options: { env: serverEnvironment(process.env) },
    };
    const trustSetting = vscode.workspace.getConfiguration("fasthepFlow").get<boolean>("trustWorkspace", false);
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { language: LANGUAGE_ID },
        ...FLOW_SUFFIXES.map((suffix) => ({ scheme: "file", pattern: `**/*${suffix}` })),
      ],
      outputChannel: this.output,
      initializationOptions: initializationOptions(trustSetting, vscode.workspace.isTrusted),
    };
    const client = new LanguageClient("fasthepFlow", "FAST-HEP Flow", serverOptions, clientOptions);
    keepOwnCommands(client, this.output);
    try {
      await client.start();
    } catch (err) {
      this.output.error(`the language server did not start: ${String(err)}`);
      void vscode.window.showErrorMessage(`FAST-HEP Flow: the language server did not start (${String(err)}).`);
      return;
    }
    this.client = client;
    this.clientDisposables = [
      this.progress.attach(client),
      // After a crash the language client restarts the server and its own progress handler comes back:
      // take `window/workDoneProgress/create` over again.
      client.onDidChangeState((event) => {
        if (event.newState === State.Running) {
          this.clientDisposables.push(this.progress.attach(client));
        }
      }),
    ];
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientDisposables.forEach((d) => d.dispose());
    this.clientDisposables = [];
    if (client !== undefined) {
      try {
        await client.stop();
      } catch (err) {
        this.output.warn(`stopping the language server: ${String(err)}`);
      }
    }
  }

  private async offerFixes(message: string): Promise<void> {
    const actions = ["Open Settings", "Show Output"];
    if (hasPythonExtension()) {
      actions.unshift("Select Interpreter");
    }
    const choice = await vscode.window.showErrorMessage(message, ...actions);
    if (choice === "Select Interpreter") {
      await vscode.commands.executeCommand("python.setInterpreter");
    } else if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "fasthepFlow.interpreter");
    } else if (choice === "Show Output") {
      this.output.show();
    }
  }
}
