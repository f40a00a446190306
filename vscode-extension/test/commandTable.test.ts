import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { EXTENSION_ROOT, readManifest } from "./manifest";
import {
  CATEGORY,
  COMMANDS,
  commandTarget,
  executeCommandParams,
  passThroughServerCommands,
} from "../src/commandTable";

describe("command table", () => {
  test("package.json contributes exactly the table's commands, titles and category", () => {
    const contributed = readManifest().contributes.commands.map((c) => [c.command, c.title, c.category]);
    const table = COMMANDS.map((c) => [c.id, c.title, CATEGORY]);
    assert.deepEqual(contributed, table);
  });

  test("the brief's palette names", () => {
    const names = COMMANDS.map((c) => `${CATEGORY}: ${c.title}`);
    assert.deepEqual(names, [
      "FAST-HEP Flow: Run plan",
      "FAST-HEP Flow: Preview plan",
      "FAST-HEP Flow: Restart server",
      "FAST-HEP Flow: Show output",
    ]);
  });

  test("menus reference only known commands, and document commands only in workflow editors", () => {
    const ids = new Set(COMMANDS.map((c) => c.id));
    const menus = readManifest().contributes.menus;
    for (const entries of Object.values(menus)) {
      for (const entry of entries) {
        assert.ok(ids.has(entry.command as never), `menu names unknown command ${entry.command}`);
        const spec = COMMANDS.find((c) => c.id === entry.command);
        if (spec?.needsDocument) {
          assert.equal(entry.when, "editorLangId == fasthep-flow");
        }
      }
    }
  });

  test("every command id is registered by extension.ts through the table", () => {
    const source = readFileSync(path.join(EXTENSION_ROOT, "src", "extension.ts"), "utf8");
    for (const spec of COMMANDS) {
      assert.ok(source.includes(`"${spec.id}":`), `no handler for ${spec.id}`);
    }
  });
});

describe("server command forwarding", () => {
  test("run and preview forward the document URI as the only argument", () => {
    assert.deepEqual(executeCommandParams("fasthep-flow.runPlan", "file:///a/b.flow.yaml"), {
      command: "fasthep-flow.runPlan",
      arguments: ["file:///a/b.flow.yaml"],
    });
    assert.deepEqual(executeCommandParams("fasthep-flow.previewPlan", "file:///x.flow.yml").command, "fasthep-flow.previewPlan");
  });

  test("extra lens arguments (Run to here's stage id) follow the URI", () => {
    assert.deepEqual(executeCommandParams("fasthep-flow.runPlan", "file:///a.flow.yaml", ["MuonPt"]).arguments, [
      "file:///a.flow.yaml",
      "MuonPt",
    ]);
  });

  test("client-only commands are never forwarded", () => {
    assert.throws(() => executeCommandParams("fasthep-flow.restartServer", "file:///a"), /not forwarded/);
  });

  test("server-advertised ids the client owns are filtered out, others pass through", () => {
    assert.deepEqual(
      passThroughServerCommands(["fasthep-flow.runPlan", "fasthep-flow.previewPlan", "fasthep-flow.applyFix"]),
      ["fasthep-flow.applyFix"],
    );
    assert.deepEqual(passThroughServerCommands(undefined), []);
  });
});

describe("commandTarget", () => {
  test("a code lens passes the URI string, and Run to here the stage id after it", () => {
    assert.deepEqual(commandTarget(["file:///lens.flow.yaml"], "file:///active.flow.yaml"), {
      uri: "file:///lens.flow.yaml",
      extra: [],
    });
    assert.deepEqual(commandTarget(["file:///lens.flow.yaml", "MuonPt"], undefined), {
      uri: "file:///lens.flow.yaml",
      extra: ["MuonPt"],
    });
  });

  test("an editor title button passes a Uri-like object and an options object that is not forwarded", () => {
    const uri = { scheme: "file", toString: () => "file:///title.flow.yaml" };
    assert.deepEqual(commandTarget([uri, { groupId: 1 }], "file:///active.flow.yaml"), {
      uri: "file:///title.flow.yaml",
      extra: [],
    });
  });

  test("the palette passes nothing: the active editor's document", () => {
    assert.deepEqual(commandTarget([], "file:///active.flow.yaml"), { uri: "file:///active.flow.yaml", extra: [] });
    assert.equal(commandTarget([""], undefined), undefined);
    assert.deepEqual(commandTarget([42], "file:///active.flow.yaml"), { uri: "file:///active.flow.yaml", extra: [] });
  });
});
