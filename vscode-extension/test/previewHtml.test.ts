import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  contentSecurityPolicy,
  escapeHtml,
  makeNonce,
  parsePreviewResult,
  previewMessage,
  previewPageHtml,
} from "../src/previewHtml";

const INPUTS = {
  cspSource: "https://file+.vscode-resource.vscode-cdn.net",
  nonce: "abc123",
  mermaidScriptUri: "https://file+.vscode-resource.vscode-cdn.net/ext/dist/mermaid.min.js",
  previewScriptUri: "https://file+.vscode-resource.vscode-cdn.net/ext/dist/preview.js",
  title: "zmumu.flow.yaml",
};

describe("plan preview page", () => {
  test("loads exactly the two shipped scripts, each with the nonce", () => {
    const html = previewPageHtml(INPUTS);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 2);
    for (const attrs of scripts) {
      assert.match(attrs, /nonce="abc123"/);
      assert.match(attrs, /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\//);
    }
    assert.ok(html.indexOf("mermaid.min.js") < html.indexOf("preview.js"), "mermaid must load before the preview script");
  });

  test("the CSP allows no network origin, no eval and no un-nonced script", () => {
    const csp = contentSecurityPolicy("vscode-webview://x", "n1");
    assert.match(csp, /^default-src 'none'/);
    assert.match(csp, /script-src 'nonce-n1'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    assert.doesNotMatch(csp, /\*|https?:/);
    assert.ok(previewPageHtml(INPUTS).includes(escapeHtml(contentSecurityPolicy(INPUTS.cspSource, INPUTS.nonce))));
  });

  test("the page has no inline script and names no CDN", () => {
    const html = previewPageHtml(INPUTS);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(html, /cdn\.jsdelivr|unpkg|cdnjs/);
  });

  test("the title is escaped", () => {
    const html = previewPageHtml({ ...INPUTS, title: '<img src=x onerror="alert(1)">.flow.yaml' });
    assert.doesNotMatch(html, /<img/);
    assert.match(html, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;/);
  });

  test("nonces are 32 characters from the alphabet, different for different bytes", () => {
    const a = makeNonce((n) => new Uint8Array(n).fill(1));
    const b = makeNonce((n) => Uint8Array.from({ length: n }, (_, i) => i));
    assert.equal(a.length, 32);
    assert.match(b, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(a, b);
  });
});

describe("parsePreviewResult", () => {
  test("accepts {ok, mermaid, plan}", () => {
    assert.deepEqual(parsePreviewResult({ ok: true, mermaid: "graph TD\n a-->b", plan: { nodes: [] }, problems: [] }), {
      mermaid: "graph TD\n a-->b",
      plan: { nodes: [] },
    });
  });

  test("a workflow with errors: names the server's problems", () => {
    const answer = { ok: false, mermaid: "", plan: {}, problems: ["a.flow.yaml:7:11: FF101 unknown op 'hep.hsit'"] };
    assert.equal(parsePreviewResult(answer), "no plan to preview: a.flow.yaml:7:11: FF101 unknown op 'hep.hsit'");
    const many = { ok: false, problems: ["p1", "p2", "p3", "p4"] };
    assert.equal(parsePreviewResult(many), "no plan to preview: p1; p2; p3; ...");
  });

  test("explains what is wrong otherwise", () => {
    assert.match(String(parsePreviewResult(null)), /no plan/);
    assert.equal(parsePreviewResult({ plan: {} }), "no plan to preview");
    assert.equal(parsePreviewResult({ ok: true, mermaid: "  " }), "no plan to preview");
  });
});

describe("previewMessage", () => {
  test("a plan is posted as the graph, a problem as text for the page", () => {
    assert.deepEqual(previewMessage({ mermaid: "graph TD", plan: { n: 1 } }), { type: "plan", mermaid: "graph TD", plan: { n: 1 } });
    assert.deepEqual(previewMessage("no plan to preview: x"), { type: "problem", text: "no plan to preview: x" });
  });
});
