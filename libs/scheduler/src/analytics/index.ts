export { aggregateHistory, utilisationBucketMs, type AnalyticsWindow } from './aggregate.js';
export { percentileOfSorted, ratio } from './percentile.js';
