import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { EXTENSION_ROOT, readJson, readManifest } from "./manifest";
import { FIRST_LINE_PATTERN, FLOW_SUFFIXES, isFlowDocument } from "../src/flowDocument";

describe("language contribution", () => {
  const language = readManifest().contributes.languages[0];

  test("package.json uses the tested suffixes and first-line pattern", () => {
    assert.equal(language.id, "fasthep-flow");
    assert.deepEqual(language.extensions, FLOW_SUFFIXES);
    assert.equal(language.firstLine, FIRST_LINE_PATTERN);
  });

  test("the grammar reuses the YAML grammar", () => {
    const grammar = readManifest().contributes.grammars[0];
    assert.equal(grammar.language, "fasthep-flow");
    const tm = readJson(grammar.path) as { scopeName: string; patterns: { include: string }[] };
    assert.equal(tm.scopeName, grammar.scopeName);
    assert.deepEqual(tm.patterns, [{ include: "source.yaml" }]);
  });

  test("the language configuration file exists and comments with #", () => {
    const config = readJson(language.configuration) as { comments: { lineComment: string } };
    assert.equal(config.comments.lineComment, "#");
  });

  test("yamlValidation maps workflow files to the shipped schema", () => {
    const [entry] = readManifest().contributes.yamlValidation;
    assert.deepEqual(entry.fileMatch, ["*.flow.yaml", "*.flow.yml"]);
    assert.equal(entry.url, "./schemas/workflow.schema.json");
    // The schema is copied in at build time from the repository's schemas/ folder.
    assert.ok(existsSync(path.join(EXTENSION_ROOT, "scripts", "copy-schema.mjs")));
  });
});

describe("isFlowDocument", () => {
  test("by file suffix, any case", () => {
    assert.ok(isFlowDocument("/w/ana.flow.yaml", "version: 1.0"));
    assert.ok(isFlowDocument("C:\\w\\ANA.FLOW.YML", ""));
    assert.ok(!isFlowDocument("/w/ana.yaml", "version: 1.0"));
    assert.ok(!isFlowDocument("/w/flow.yaml", "version: 1.0"));
  });

  test("by a `# fasthep-flow` first line", () => {
    assert.ok(isFlowDocument("/w/ana.yaml", "# fasthep-flow"));
    assert.ok(isFlowDocument("/w/ana.yaml", "#fasthep-flow workflow for Zmumu"));
    assert.ok(!isFlowDocument("/w/ana.yaml", "# fasthep-flowers are nice"));
    assert.ok(!isFlowDocument("/w/ana.yaml", "version: 1.0  # fasthep-flow"));
    assert.ok(!isFlowDocument("/w/ana.yaml", "# a fasthep-flow workflow"));
  });

  test("by the schema modeline", () => {
    assert.ok(isFlowDocument("/w/a.yaml", "# yaml-language-server: $schema=../schemas/workflow.schema.json"));
    assert.ok(isFlowDocument("/w/a.yaml", "# yaml-language-server: $schema=https://example.org/fasthep-flow/v1.json"));
    assert.ok(!isFlowDocument("/w/a.yaml", "# yaml-language-server: $schema=https://json.schemastore.org/github-workflow.json"));
  });
});
