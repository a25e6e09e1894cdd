// The identity port of real-name verification: the face match (the submitted face image against the identity
// document's photo) and the name check (a name and ID number against the issuing authority's records), and its
// simulation.
import type { FaceResult } from '../policy/registration';

export interface FaceVerifier {
  /** Compares the submitted face image with the identity document's photo. */
  verify(input: { registrationId: string; faceImageRef: string; idNumberHash: string }): Promise<FaceResult>;
  /**
   * Checks that a name and an ID number belong together (the authority's records), e.g. a guardian's real-name
   * check (PIPL art. 31). The number is passed through, never stored by the caller.
   */
  checkRealName(input: { registrationId: string; name: string; documentType: string; idNumber: string }): Promise<RealNameResult>;
}

/** What a name check can answer. */
export type RealNameResult = 'match' | 'mismatch';

/**
 * Simulated face match, deterministic by the image reference: 'sim-pass…', 'sim-fail…', 'sim-uncertain…';
 * any other reference is 'uncertain' (a person looks at it).
 */
export class SimulatedFaceVerifier implements FaceVerifier {
  async verify({ faceImageRef }: { registrationId: string; faceImageRef: string; idNumberHash: string }): Promise<FaceResult> {
    if (faceImageRef.startsWith('sim-pass')) return 'pass';
    if (faceImageRef.startsWith('sim-fail')) return 'fail';
    return 'uncertain';
  }

  /** Simulated name check, deterministic by the name: a name starting 'Sim Mismatch' or containing '不符' does not match. */
  async checkRealName({ name }: { registrationId: string; name: string; documentType: string; idNumber: string }): Promise<RealNameResult> {
    return name.startsWith('Sim Mismatch') || name.includes('不符') ? 'mismatch' : 'match';
  }
}
