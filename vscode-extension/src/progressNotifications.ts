/**
 * Shows the server's work-done progress as a cancellable notification and streams every step into the output
 * channel. vscode-languageclient's own handler only puts server progress in the status bar; a plan run can take
 * minutes, so it deserves a notification with a Cancel button.
 */
import * as vscode from "vscode";
import {
  type LanguageClient,
  type ProgressToken,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
} from "vscode-languageclient/node";
import { type ProgressValue, ProgressTracker } from "./progressLog";

export class ProgressNotifications {
  constructor(private readonly output: vscode.LogOutputChannel) {}

  /**
   * Takes over `window/workDoneProgress/create` for this client. Must be called after `client.start()`, because
   * starting registers the language client's own handler for the same request.
   */
  attach(client: LanguageClient): vscode.Disposable {
    return client.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
      this.track(client, params.token);
    });
  }

  /** Follows one token (server-created, or one the client put in a request's `workDoneToken`). */
  track(client: LanguageClient, token: ProgressToken): vscode.Disposable {
    const tracker = new ProgressTracker();
    let reporter: vscode.Progress<{ message?: string; increment?: number }> | undefined;
    let pending: { message?: string; increment?: number } = {};
    let ended = false;
    let finish: (() => void) | undefined;
    const subscription = client.onProgress(WorkDoneProgress.type, token, (value) => {
      const step = tracker.update(value as ProgressValue);
      if (step.logLine !== undefined) {
        this.output.info(step.logLine);
      }
      if (value.kind === "begin") {
        const title = value.title;
        void vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: `FAST-HEP Flow: ${title}`,
            cancellable: value.cancellable === true,
          },
          (progress, cancellation) => {
            reporter = progress;
            progress.report(pending);
            cancellation.onCancellationRequested(() => {
              this.output.warn(`${title}: cancel requested`);
              void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
            });
            return new Promise<void>((resolve) => {
              finish = resolve;
              if (ended) {
                resolve();
              }
            });
          },
        );
      }
      if (step.message !== undefined || step.increment !== undefined) {
        const update = { message: step.message, increment: step.increment };
        if (reporter === undefined) {
          // The notification is not up yet: keep the latest message and the total increment for it.
          pending = { message: step.message ?? pending.message, increment: (pending.increment ?? 0) + (step.increment ?? 0) };
        } else {
          reporter.report(update);
        }
      }
      if (step.done) {
        ended = true;
        finish?.();
        subscription.dispose();
      }
    });
    return subscription;
  }
}
