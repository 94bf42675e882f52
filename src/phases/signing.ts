/**
 * Sign & attach, or verify: keyless signing of `image` with the run's one certificate, SBOM and
 * vulnerability attestations, the self-check; or, in verify mode, the existing signatures
 * checked against `verify-identity` / `verify-issuer`.
 */
import type { Config } from '../config.js';
import type { Logger } from '../main.js';
import type { ScanReport } from '../model.js';
import { renderSigningSummary, renderVerifySummary } from '../render/signing.js';
import type { Services } from '../services.js';
import { attestationsFor, type SigningMode } from '../sigstore/setup.js';
import { signImage, type SignImageResult } from '../sigstore/sign-image.js';
import { PREDICATE_VULN, sbomPredicateType } from '../sigstore/statement.js';
import { verifyImage, type VerifyImageOutcome } from '../sigstore/verify-image.js';
import type { WrittenSbom } from './sbom.js';

export type SigningOutcome =
  | { readonly mode: 'sign'; readonly result: SignImageResult; readonly summary: string }
  | { readonly mode: 'verify'; readonly result: VerifyImageOutcome; readonly summary: string };

export async function signingPhase(
  mode: Exclude<SigningMode, 'off'>,
  input: { sboms: readonly WrittenSbom[]; imageReport?: ScanReport; now: Date },
  config: Config,
  services: Services,
  log: Logger,
): Promise<SigningOutcome> {
  const { signing, env } = config;
  const image = config.targets.image!;
  const registry = services.registry(signing);
  const trustedRoot = await services.trustedRoot(signing);
  if (mode === 'verify') {
    const sbom = config.sbom.formats[0];
    const result = await verifyImage(
      {
        image,
        identity: signing.verifyIdentity!,
        issuer: signing.verifyIssuer,
        // In verify mode attest-sbom / attest-vuln require those attestations to verify too.
        requiredPredicateTypes: [
          ...(signing.attestSbom && sbom ? [sbomPredicateType(sbom)] : []),
          ...(signing.attestVuln ? [PREDICATE_VULN] : []),
        ],
      },
      { registry, trustedRoot },
    );
    const summary = renderVerifySummary({
      ...result,
      identity: signing.verifyIdentity!,
      issuer: signing.verifyIssuer,
    });
    return { mode, result, summary };
  }
  const sbom = input.sboms[0];
  const runUrl = `${env.serverUrl}/${env.repository ?? ''}/actions/runs/${env.runId ?? ''}`;
  const attestations = attestationsFor(signing, {
    ...(sbom && { sbom: { format: sbom.format, document: JSON.parse(sbom.json) as unknown } }),
    ...(input.imageReport && { imageReport: input.imageReport }),
    invocation: { uri: runUrl, eventId: env.runId ?? '', builderId: env.workflowRef ?? '' },
    now: input.now,
  });
  const result = await signImage(
    { image, signing, attestations, now: input.now },
    { registry, signer: services.signer(signing), trustedRoot, log: (m) => log.info(m) },
  );
  const summary = renderSigningSummary({
    ...result,
    format: signing.format,
    predicateTypes: attestations.map((a) => a.predicateType),
    ...(signing.rekorUrl && { rekorUrl: signing.rekorUrl }),
  });
  return { mode, result, summary };
}
