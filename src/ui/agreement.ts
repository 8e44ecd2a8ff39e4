/**
 * Running comparison of the online (continual) and offline (clip-based) answers: how often their
 * top-1 classes agree, and the largest probability difference seen. Pure, immutable values.
 */
import type { Agreement } from '../runtime/protocol';

/** Agreement of the two modes over the frames where both gave scores. */
export interface AgreementTally {
  /** Frames where both modes gave scores. */
  readonly compared: number;
  /** Of those, frames with the same top-1 class. */
  readonly agreed: number;
  /** Largest |p_online - p_offline| over all classes and frames; null before the first. */
  readonly maxAbsDiff: number | null;
}

/** No comparison yet. */
export const EMPTY_AGREEMENT: AgreementTally = { compared: 0, agreed: 0, maxAbsDiff: null };

/** The tally after one more compared frame. */
export function addAgreement(tally: AgreementTally, frame: Agreement): AgreementTally {
  if (!(Number.isFinite(frame.maxAbsDiff) && frame.maxAbsDiff >= 0)) {
    throw new Error(
      `A probability difference is finite and non-negative, got ${frame.maxAbsDiff}.`,
    );
  }
  return {
    compared: tally.compared + 1,
    agreed: tally.agreed + (frame.top1Agree ? 1 : 0),
    maxAbsDiff: Math.max(tally.maxAbsDiff ?? 0, frame.maxAbsDiff),
  };
}

/** Share of compared frames whose top-1 agreed, in [0, 1]; null before the first comparison. */
export function agreementRate(tally: AgreementTally): number | null {
  return tally.compared === 0 ? null : tally.agreed / tally.compared;
}
