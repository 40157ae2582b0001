import assert from "node:assert/strict";
import { test } from "node:test";
import { LIFECYCLE_JOB_OPTIONS as JOB_OPTIONS } from "../../../core/jobs/lifecycle.ts";

test("given an unexpected error in a reconcile, then the app's lifecycle job is tried again with exponential backoff", () => {
  const options: { attempts?: number; backoff?: { type: string; delay: number } } = JOB_OPTIONS;
  assert.ok((options.attempts ?? 1) >= 3, `attempts: ${options.attempts}`);
  assert.equal(options.backoff?.type, "exponential");
  assert.ok((options.backoff?.delay ?? 0) > 0);
});
