/**
 * "Run plan" and "Preview plan": both forward to the server command of the same id with the document URI, and
 * present the answer (progress notification and output channel; a webview with the Mermaid graph).
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import * as vscode from "vscode";
import { ExecuteCommandRequest, type LanguageClient } from "vscode-languageclient/node";
import { type CommandTarget, executeCommandParams } from "./commandTable";
import { makeNonce, parsePreviewResult, type PlanPreview, previewMessage, previewPageHtml } from "./previewHtml";
import { summariseRunResult } from "./runResult";
import type { ServerController } from "./serverController";

function runningClient(controller: ServerController): LanguageClient | undefined {
  const client = controller.running;
  if (client === undefined) {
    void vscode.window.showErrorMessage(
      "FAST-HEP Flow: the language server is not running. See the output channel, fix the interpreter, then restart.",
      "Show Output",
    ).then((choice) => {
      if (choice === "Show Output") {
        void vscode.commands.executeCommand("fasthep-flow.showOutput");
      }
    });
  }
  return client;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs the workflow's plan on the server; progress arrives as `$/progress` and is shown by ProgressNotifications.
 * The server announces the outcome itself (`window/showMessage`), so the client only logs the result, and
 * speaks up when the request itself fails.
 */
export async function runPlan(controller: ServerController, output: vscode.LogOutputChannel, target: CommandTarget): Promise<void> {
  const client = runningClient(controller);
  if (client === undefined) {
    return;
  }
  const { uri, extra } = target;
  output.show(true);
  output.info(`Run plan: ${uri}${extra.length > 0 ? ` (${extra.join(", ")})` : ""}`);
  // Offer a token of our own as well, for a server that reports on the request's token rather than creating one.
  const token = `fasthep-flow.runPlan/${makeNonce(randomBytes).slice(0, 12)}`;
  const tracking = controller.progressNotifications.track(client, token);
  try {
    const result: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
      ...executeCommandParams("fasthep-flow.runPlan", uri, extra),
      workDoneToken: token,
    });
    const summary = summariseRunResult(result);
    (summary.level === "error" ? output.error : output.info).call(output, summary.text);
    output.info(`Run plan result: ${JSON.stringify(result, null, 2)}`);
  } catch (err) {
    output.error(`Run plan failed: ${errorText(err)}`);
    void vscode.window.showErrorMessage(`FAST-HEP Flow: run failed: ${errorText(err)}`);
  } finally {
    tracking.dispose();
  }
}

/** One preview panel per workflow; it refreshes when that workflow is saved. */
export class PlanPreviews implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly latest = new Map<string, PlanPreview | string>();
  private readonly onSave: vscode.Disposable;

  constructor(
    private readonly controller: ServerController,
    private readonly output: vscode.LogOutputChannel,
    private readonly extensionUri: vscode.Uri,
  ) {
    this.onSave = vscode.workspace.onDidSaveTextDocument((doc) => {
      const key = doc.uri.toString();
      if (this.panels.has(key)) {
        void this.refresh(key);
      }
    });
  }

  async show(uri: string): Promise<void> {
    const existing = this.panels.get(uri);
    if (existing !== undefined) {
      existing.reveal(vscode.ViewColumn.Beside, true);
    } else {
      this.panels.set(uri, this.createPanel(uri));
    }
    await this.refresh(uri);
  }

  dispose(): void {
    this.onSave.dispose();
    this.panels.forEach((panel) => panel.dispose());
    this.panels.clear();
  }

  private createPanel(uri: string): vscode.WebviewPanel {
    const dist = vscode.Uri.joinPath(this.extensionUri, "dist");
    const title = path.basename(vscode.Uri.parse(uri).path);
    const panel = vscode.window.createWebviewPanel(
      "fasthepFlow.planPreview",
      `Plan: ${title}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [dist], retainContextWhenHidden: false },
    );
    const webview = panel.webview;
    webview.html = previewPageHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(randomBytes),
      mermaidScriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "mermaid.min.js")).toString(),
      previewScriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "preview.js")).toString(),
      title,
    });
    webview.onDidReceiveMessage((message: { type?: string }) => {
      // The page asks once its scripts are loaded (also after VS Code reloads a hidden panel).
      const latest = this.latest.get(uri);
      if (message.type === "ready" && latest !== undefined) {
        void webview.postMessage(previewMessage(latest));
      }
    });
    panel.onDidDispose(() => {
      this.panels.delete(uri);
      this.latest.delete(uri);
    });
    return panel;
  }

  private async refresh(uri: string): Promise<void> {
    const client = runningClient(this.controller);
    const panel = this.panels.get(uri);
    if (client === undefined || panel === undefined) {
      return;
    }
    let result: unknown;
    try {
      result = await client.sendRequest(ExecuteCommandRequest.type, executeCommandParams("fasthep-flow.previewPlan", uri));
    } catch (err) {
      this.output.error(`Preview plan failed: ${errorText(err)}`);
      void vscode.window.showErrorMessage(`FAST-HEP Flow: cannot preview the plan: ${errorText(err)}`);
      return;
    }
    const preview = parsePreviewResult(result);
    if (typeof preview === "string") {
      this.output.warn(`Preview plan: ${preview}`);
    }
    this.latest.set(uri, preview);
    void panel.webview.postMessage(previewMessage(preview));
  }
}
