import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defaultInterpreter, expandSetting, resolveInterpreter } from "../src/interpreter";

describe("resolveInterpreter", () => {
  test("the setting wins over the Python extension", () => {
    const got = resolveInterpreter({ setting: "/opt/py/bin/python", pythonExtension: "/venv/bin/python", platform: "linux" });
    assert.deepEqual(got, { path: "/opt/py/bin/python", source: "setting" });
  });

  test("an empty or blank setting falls through to the Python extension", () => {
    for (const setting of ["", "   ", undefined]) {
      const got = resolveInterpreter({ setting, pythonExtension: "/venv/bin/python", platform: "linux" });
      assert.deepEqual(got, { path: "/venv/bin/python", source: "python-extension" });
    }
  });

  test("without setting and Python extension, python3 (python on Windows)", () => {
    assert.deepEqual(resolveInterpreter({ setting: "", pythonExtension: undefined, platform: "linux" }), {
      path: "python3",
      source: "default",
    });
    assert.deepEqual(resolveInterpreter({ setting: undefined, pythonExtension: "", platform: "win32" }), {
      path: "python",
      source: "default",
    });
    assert.equal(defaultInterpreter("darwin"), "python3");
  });

  test("the setting expands ${workspaceFolder}, ${userHome} and ~", () => {
    const got = resolveInterpreter({
      setting: " ${workspaceFolder}/.venv/bin/python ",
      pythonExtension: "/ignored",
      platform: "linux",
      workspaceFolder: "/home/u/ana",
      home: "/home/u",
    });
    assert.equal(got.path, "/home/u/ana/.venv/bin/python");
    assert.equal(expandSetting("~/py/bin/python", undefined, "/home/u"), "/home/u/py/bin/python");
    assert.equal(expandSetting("${userHome}/py", undefined, "/home/u"), "/home/u/py");
    // Nothing to expand with: the text stays as written, so the error message shows what the user typed.
    assert.equal(expandSetting("${workspaceFolder}/py", undefined, undefined), "${workspaceFolder}/py");
    assert.equal(expandSetting("/a~b/python", undefined, "/home/u"), "/a~b/python");
  });
});
