export { createDelivery, type Delivery, type DeliveryDeps, type DeliveryStats } from "./delivery.ts";
export { DeliveryError, type DeliveryFailure } from "./deliveryError.ts";
export { ClusterLimiter, planLimits, bucketShape, type BucketLimits } from "./leakyBucket.ts";
export { backoffDelay } from "./backoff.ts";
export type * from "./types.ts";
