// Bundles the extension (Node, CommonJS, `vscode` external) and the webview script (browser IIFE) into dist/,
// and copies mermaid's self-contained browser build beside them so the plan preview never needs the network.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const production = !process.argv.includes("--dev");

await mkdir("dist", { recursive: true });
await build({
  entryPoints: ["src/extension.ts"],
  outfile: "dist/extension.js",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  external: ["vscode"],
  minify: production,
  sourcemap: !production,
  logLevel: "warning",
});
await build({
  entryPoints: ["src/webview/preview.ts"],
  outfile: "dist/preview.js",
  bundle: true,
  platform: "browser",
  format: "iife",
  target: "es2020",
  minify: production,
  logLevel: "warning",
});
await copyFile(require.resolve("mermaid/dist/mermaid.min.js"), "dist/mermaid.min.js");
console.log("bundled dist/extension.js, dist/preview.js, dist/mermaid.min.js");
