export { type BandConfig, type BandDecision, BandPolicy, type BandState, type BandTask, type BudgetChange, DEFAULT_BAND } from './band-policy.js';
export { HostBand, type BandSnapshot, type BandTarget, type HostBandDeps } from './host-band.js';
