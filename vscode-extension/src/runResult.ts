/**
 * What to tell the user when the server's `fasthep-flow.runPlan` answers. The server's result shape is its own
 * business; the client only looks for a few well-known keys and otherwise logs the whole answer.
 */

export interface RunSummary {
  level: "info" | "error";
  text: string;
}

function stringField(record: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === "string" && value !== "") {
      return value;
    }
  }
  return undefined;
}

/** One line for a notification: success with where the outputs went, or the failure the server reported. */
export function summariseRunResult(result: unknown): RunSummary {
  if (typeof result !== "object" || result === null) {
    return { level: "info", text: "FAST-HEP Flow: run finished." };
  }
  const record = result as Record<string, unknown>;
  const failed = record.ok === false || typeof record.error === "string";
  const message = stringField(record, "message", "error");
  if (failed) {
    return { level: "error", text: `FAST-HEP Flow: run failed${message ? `: ${message}` : "."}` };
  }
  const where = stringField(record, "outdir", "output_dir", "outputDir");
  const text = where ? `FAST-HEP Flow: run finished; outputs in ${where}.` : "FAST-HEP Flow: run finished.";
  return { level: "info", text };
}
