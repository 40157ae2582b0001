import { test } from "node:test";
import assert from "node:assert/strict";
import { bucketShape, planLimits } from "../../../workers/delivery/leakyBucket.ts";

test("plans map to the portal's buckets; box and null mean off; an override wins", () => {
  assert.deepEqual(planLimits("standard", undefined), { burst: 50, drainPerSec: 2 });
  assert.deepEqual(planLimits("enterprise", undefined), { burst: 250, drainPerSec: 5 });
  assert.equal(planLimits("box", undefined), null);
  assert.equal(planLimits("standard", null), null);
  assert.deepEqual(planLimits("box", { burst: 10, drainPerSec: 1 }), { burst: 10, drainPerSec: 1 });
});

test("the mirrored bucket keeps a margin below the burst and a reserve for interactive", () => {
  assert.deepEqual(bucketShape({ burst: 50, drainPerSec: 2 }), { capacity: 48, interactiveReserve: 2 });
  assert.deepEqual(bucketShape({ burst: 5, drainPerSec: 2 }), { capacity: 4, interactiveReserve: 0 });
  assert.deepEqual(bucketShape({ burst: 1, drainPerSec: 2 }), { capacity: 1, interactiveReserve: 0 });
});
