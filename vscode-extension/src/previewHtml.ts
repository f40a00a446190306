/**
 * The plan preview webview's HTML and the checks on what the server returns. The page loads exactly two scripts,
 * both shipped in the extension's dist/ (mermaid's browser build and our preview script), under a CSP that
 * allows nothing from the network: the preview must work offline and must not run anything the plan contains.
 */

export interface PreviewPageInputs {
  /** `webview.cspSource`: the origin VS Code serves extension files from. */
  cspSource: string;
  /** A fresh random value per page; only scripts carrying it may run. */
  nonce: string;
  /** `webview.asWebviewUri(dist/mermaid.min.js)` as a string. */
  mermaidScriptUri: string;
  /** `webview.asWebviewUri(dist/preview.js)` as a string. */
  previewScriptUri: string;
  /** Shown in the page heading (the workflow's file name). */
  title: string;
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * Content-Security-Policy of the page: no default source, scripts only by nonce, styles and images only from the
 * extension (mermaid writes inline `<style>` into its SVG, hence `'unsafe-inline'` for styles only).
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'unsafe-inline'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join("; ");
}

/** The whole page. The graph arrives later by `postMessage`, so refreshing never rebuilds the page. */
export function previewPageHtml(inputs: PreviewPageInputs): string {
  const csp = contentSecurityPolicy(inputs.cspSource, inputs.nonce);
  const nonce = escapeHtml(inputs.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Plan: ${escapeHtml(inputs.title)}</title>
<style>
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
  #status { color: var(--vscode-descriptionForeground); }
  #status.error { color: var(--vscode-errorForeground); white-space: pre-wrap; }
  #graph svg { max-width: 100%; height: auto; }
  pre { background: var(--vscode-textCodeBlock-background); padding: 0.5em; overflow: auto; }
</style>
</head>
<body>
<h2>Plan: ${escapeHtml(inputs.title)}</h2>
<p id="status">Waiting for the plan…</p>
<div id="graph"></div>
<details><summary>Mermaid source</summary><pre id="mermaid-source"></pre></details>
<details><summary>Plan (JSON)</summary><pre id="plan-json"></pre></details>
<script nonce="${nonce}" src="${escapeHtml(inputs.mermaidScriptUri)}"></script>
<script nonce="${nonce}" src="${escapeHtml(inputs.previewScriptUri)}"></script>
</body>
</html>
`;
}

export interface PlanPreview {
  mermaid: string;
  plan: unknown;
}

/**
 * Checks the server's `fasthep-flow.previewPlan` answer (`{ok, mermaid: str, plan: object, problems: str[]}`);
 * a string says what is wrong, naming the workflow's problems when the server listed them.
 */
export function parsePreviewResult(result: unknown): PlanPreview | string {
  if (typeof result !== "object" || result === null) {
    return "the server returned no plan";
  }
  const record = result as Record<string, unknown>;
  const problems = Array.isArray(record.problems) ? record.problems.filter((p) => typeof p === "string") : [];
  const hasGraph = typeof record.mermaid === "string" && record.mermaid.trim() !== "";
  if (record.ok === false || !hasGraph) {
    const why = problems.length > 0 ? `: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? "; ..." : ""}` : "";
    return `no plan to preview${why}`;
  }
  return { mermaid: record.mermaid as string, plan: record.plan ?? null };
}

export type PreviewMessage = { type: "plan"; mermaid: string; plan: unknown } | { type: "problem"; text: string };

/** What the extension posts to the page: the graph, or why there is none (shown in place of the graph). */
export function previewMessage(preview: PlanPreview | string): PreviewMessage {
  return typeof preview === "string" ? { type: "problem", text: preview } : { type: "plan", ...preview };
}

/** Characters for a nonce; 32 of them from a CSPRNG are plenty. */
export function makeNonce(randomBytes: (n: number) => Uint8Array): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join("");
}
