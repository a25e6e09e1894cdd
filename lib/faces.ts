// The face-match port (real-name verification: the submitted face image against the identity document's photo),
// and its simulation.
import type { FaceResult } from '../policy/registration';

export interface FaceVerifier {
  /** Compares the submitted face image with the identity document's photo. */
  verify(input: { registrationId: string; faceImageRef: string; idNumberHash: string }): Promise<FaceResult>;
}

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
}
