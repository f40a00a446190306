import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { summariseRunResult } from "../src/runResult";

describe("summariseRunResult", () => {
  test("success names the output directory when the server gives one", () => {
    assert.deepEqual(summariseRunResult({ ok: true, message: "Run finished", outdir: "/w/fasthep-output" }), {
      level: "info",
      text: "FAST-HEP Flow: run finished; outputs in /w/fasthep-output.",
    });
    assert.equal(summariseRunResult(null).level, "info");
  });

  test("a reported failure is an error with the server's message", () => {
    assert.deepEqual(summariseRunResult({ ok: false, message: "stage MuonPt failed" }), {
      level: "error",
      text: "FAST-HEP Flow: run failed: stage MuonPt failed",
    });
    assert.equal(summariseRunResult({ error: "boom" }).text, "FAST-HEP Flow: run failed: boom");
  });
});
