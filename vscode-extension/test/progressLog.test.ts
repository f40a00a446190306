import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ProgressTracker } from "../src/progressLog";

describe("ProgressTracker", () => {
  test("turns absolute percentages into increments that add up to 100", () => {
    const tracker = new ProgressTracker();
    const steps = [
      tracker.update({ kind: "begin", title: "Run plan", percentage: 0 }),
      tracker.update({ kind: "report", message: "partition 1/4", percentage: 25 }),
      tracker.update({ kind: "report", message: "partition 3/4", percentage: 75 }),
      tracker.update({ kind: "report", message: "merging", percentage: 100 }),
      tracker.update({ kind: "end", message: "3 outputs" }),
    ];
    assert.deepEqual(steps.map((s) => s.increment), [undefined, 25, 50, 25, undefined]);
    assert.equal(steps.reduce((sum, s) => sum + (s.increment ?? 0), 0), 100);
    assert.deepEqual(steps.map((s) => s.done), [false, false, false, false, true]);
  });

  test("log lines carry the title, the message and the percentage", () => {
    const tracker = new ProgressTracker();
    assert.equal(tracker.update({ kind: "begin", title: "Run plan", message: "8 partitions" }).logLine, "Run plan: started 8 partitions");
    assert.equal(tracker.update({ kind: "report", message: "dy: 2/4", percentage: 50 }).logLine, "Run plan: dy: 2/4 (50%)");
    assert.equal(tracker.update({ kind: "report", percentage: 60 }).logLine, "Run plan: (60%)");
    assert.equal(tracker.update({ kind: "report" }).logLine, undefined);
    assert.equal(tracker.update({ kind: "end" }).logLine, "Run plan: finished");
  });

  test("a percentage that goes back or past 100 never moves the bar backwards or beyond", () => {
    const tracker = new ProgressTracker();
    tracker.update({ kind: "begin", title: "t", percentage: 40 });
    assert.equal(tracker.update({ kind: "report", percentage: 30 }).increment, undefined);
    assert.equal(tracker.update({ kind: "report", percentage: 250 }).increment, 60);
    assert.equal(tracker.update({ kind: "report", percentage: 100 }).increment, undefined);
  });
});
