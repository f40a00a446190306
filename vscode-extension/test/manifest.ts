/** Reads the extension's package.json for the tests that check it against the code's tables. */
import { readFileSync } from "node:fs";
import * as path from "node:path";

export interface Manifest {
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
  contributes: {
    languages: { id: string; extensions: string[]; firstLine: string; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
    yamlValidation: { fileMatch: string[]; url: string }[];
    configuration: { properties: Record<string, { type: string; default: unknown }> };
    commands: { command: string; title: string; category: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
  };
}

/** The extension folder: tests run from out/test/, two levels below it. */
export const EXTENSION_ROOT = path.resolve(__dirname, "..", "..");

export function readManifest(): Manifest {
  return JSON.parse(readFileSync(path.join(EXTENSION_ROOT, "package.json"), "utf8")) as Manifest;
}

export function readJson(relative: string): unknown {
  return JSON.parse(readFileSync(path.join(EXTENSION_ROOT, relative), "utf8"));
}
