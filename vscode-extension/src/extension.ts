/**
 * Entry point: wires the command table to handlers, starts the server, and restarts it when what it depends on
 * changes (our settings, the Python extension's interpreter, workspace trust).
 */
import * as vscode from "vscode";
import { type CommandId, COMMANDS, type CommandTarget, commandTarget } from "./commandTable";
import { PlanPreviews, runPlan } from "./planCommands";
import { onPythonInterpreterChanged } from "./pythonExtension";
import { RESTART_SETTINGS } from "./serverCommand";
import { ServerController } from "./serverController";

let controller: ServerController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("FAST-HEP Flow", { log: true });
  const server = new ServerController(output);
  controller = server;
  const previews = new PlanPreviews(server, output, context.extensionUri);
  context.subscriptions.push(output, server, previews);

  const withDocument = (action: (target: CommandTarget) => Promise<void>) => async (...args: unknown[]) => {
    const target = commandTarget(args, vscode.window.activeTextEditor?.document.uri.toString());
    if (target === undefined) {
      void vscode.window.showWarningMessage("FAST-HEP Flow: open a workflow file first.");
      return;
    }
    await action(target);
  };

  // A Record over CommandId: the compiler refuses a table entry without a handler.
  const handlers: Record<CommandId, (...args: unknown[]) => unknown> = {
    "fasthep-flow.runPlan": withDocument((target) => runPlan(server, output, target)),
    "fasthep-flow.previewPlan": withDocument((target) => previews.show(target.uri)),
    "fasthep-flow.restartServer": () => server.restart("restart requested"),
    "fasthep-flow.showOutput": () => output.show(),
  };
  for (const spec of COMMANDS) {
    context.subscriptions.push(vscode.commands.registerCommand(spec.id, handlers[spec.id]));
  }

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      const changed = RESTART_SETTINGS.filter((name) => event.affectsConfiguration(name));
      if (changed.length > 0) {
        void server.restart(`setting changed: ${changed.join(", ")}`);
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server.restart("workspace trust granted")),
  );
  const pythonListener = await onPythonInterpreterChanged(() => {
    const setting = vscode.workspace.getConfiguration("fasthepFlow").get<string>("interpreter", "");
    if (setting.trim() === "") {
      void server.restart("Python extension interpreter changed");
    }
  });
  if (pythonListener !== undefined) {
    context.subscriptions.push(pythonListener);
  }

  await server.restart("extension activated");
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
