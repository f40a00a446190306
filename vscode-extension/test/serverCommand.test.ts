import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readManifest } from "./manifest";
import {
  importCheckCommandLine,
  importFailureMessage,
  shellWord,
  initializationOptions,
  RESTART_SETTINGS,
  serverCommandLine,
  serverEnvironment,
} from "../src/serverCommand";

describe("server command line", () => {
  test("starts `python -m fasthep_flow lsp` with the resolved interpreter", () => {
    assert.deepEqual(serverCommandLine("/venv/bin/python"), {
      command: "/venv/bin/python",
      args: ["-m", "fasthep_flow", "lsp"],
    });
  });

  test("probes `import fasthep_flow` with the same interpreter", () => {
    assert.deepEqual(importCheckCommandLine("python3"), { command: "python3", args: ["-c", "import fasthep_flow"] });
  });

  test("runs Python unbuffered and keeps the rest of the environment", () => {
    const env = serverEnvironment({ PATH: "/usr/bin", PYTHONUNBUFFERED: undefined });
    assert.deepEqual(env, { PATH: "/usr/bin", PYTHONUNBUFFERED: "1" });
  });
});

describe("initializationOptions", () => {
  test("trust only when the setting is on and VS Code trusts the workspace", () => {
    assert.deepEqual(initializationOptions(true, true), { trust: true, previewDocument: false });
    assert.deepEqual(initializationOptions(true, false), { trust: false, previewDocument: false });
    assert.deepEqual(initializationOptions(false, true), { trust: false, previewDocument: false });
    assert.deepEqual(initializationOptions(false, false), { trust: false, previewDocument: false });
  });
});

describe("importFailureMessage", () => {
  test("a missing package gives the pip install hint and names the interpreter", () => {
    const text = importFailureMessage({
      interpreter: { path: "/venv/bin/python", source: "python-extension" },
      code: 1,
      stderr: "ModuleNotFoundError: No module named 'fasthep_flow'",
    });
    assert.ok(
      text.includes('`/venv/bin/python -m pip install "fasthep-flow[hep,render] @ git+https://github.com/<org>/fasthep-flow"`'),
      text,
    );
    assert.ok(text.includes('`/venv/bin/python -m pip install "/path/to/fasthep-flow[hep,render]"`'), text);
    assert.doesNotMatch(text, /pip install fasthep-flow(\s|`|$)/);
    assert.match(text, /'\/venv\/bin\/python'/);
    assert.match(text, /Python extension/);
    assert.match(text, /fasthepFlow\.interpreter/);
  });

  test("an interpreter path with spaces is quoted in the command", () => {
    const text = importFailureMessage({
      interpreter: { path: "C:\\Program Files\\Python311\\python.exe", source: "setting" },
      code: 1,
      stderr: "",
    });
    assert.ok(text.includes('`"C:\\Program Files\\Python311\\python.exe" -m pip install "fasthep-flow[hep,render] @ '), text);
    assert.equal(shellWord("/venv/bin/python3.11"), "/venv/bin/python3.11");
    assert.equal(shellWord("/my env/bin/python"), '"/my env/bin/python"');
  });

  test("a missing interpreter says so instead of suggesting pip", () => {
    const text = importFailureMessage({ interpreter: { path: "python9", source: "setting" }, code: "ENOENT", stderr: "" });
    assert.match(text, /'python9'.*was not found/);
    assert.doesNotMatch(text, /pip install/);
  });
});

describe("restart settings", () => {
  test("are exactly the server-affecting settings the manifest declares", () => {
    const declared = Object.keys(readManifest().contributes.configuration.properties);
    for (const name of RESTART_SETTINGS) {
      assert.ok(declared.includes(name), `${name} is not declared in package.json`);
    }
    assert.deepEqual([...RESTART_SETTINGS].sort(), ["fasthepFlow.interpreter", "fasthepFlow.trustWorkspace"]);
  });
});
