/**
 * Runs inside the plan preview webview (a browser, not Node). Receives `{type: "plan", mermaid, plan}` from the
 * extension and renders the graph with the bundled mermaid; `securityLevel: "strict"` keeps labels as text, so a
 * stage id can never inject markup or script.
 */

interface MermaidApi {
  initialize(config: Record<string, unknown>): void;
  render(id: string, text: string): Promise<{ svg: string }>;
}

interface VsCodeApi {
  postMessage(message: unknown): void;
}

declare const mermaid: MermaidApi;
declare function acquireVsCodeApi(): VsCodeApi;

interface PlanMessage {
  type: "plan";
  mermaid: string;
  plan: unknown;
}

interface ProblemMessage {
  type: "problem";
  text: string;
}

const vscodeApi = acquireVsCodeApi();
const dark = document.body.classList.contains("vscode-dark") || document.body.classList.contains("vscode-high-contrast");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark ? "dark" : "default" });

let renderCount = 0;

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) {
    throw new Error(`preview page lacks #${id}`);
  }
  return found;
}

async function show(message: PlanMessage): Promise<void> {
  const status = element("status");
  element("mermaid-source").textContent = message.mermaid;
  element("plan-json").textContent = JSON.stringify(message.plan, null, 2);
  try {
    renderCount += 1;
    const { svg } = await mermaid.render(`plan-graph-${renderCount}`, message.mermaid);
    element("graph").innerHTML = svg;
    status.textContent = "";
    status.className = "";
  } catch (err) {
    status.textContent = `Mermaid could not draw this plan: ${String(err)}`;
    status.className = "error";
  }
}

/** The workflow has no plan (it has errors): say why where the graph would be, keeping the last graph's source. */
function showProblem(message: ProblemMessage): void {
  const status = element("status");
  status.textContent = `No plan to show. ${message.text.replace(/^no plan to preview:?\s*/, "")}`;
  status.className = "error";
  element("graph").textContent = "";
}

window.addEventListener("message", (event: MessageEvent<unknown>) => {
  const data = event.data as { type?: unknown; mermaid?: unknown; text?: unknown } | null;
  if (data === null || typeof data !== "object") {
    return;
  }
  if (data.type === "plan" && typeof data.mermaid === "string") {
    void show(data as PlanMessage);
  } else if (data.type === "problem" && typeof data.text === "string") {
    showProblem(data as ProblemMessage);
  }
});

vscodeApi.postMessage({ type: "ready" });
