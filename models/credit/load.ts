import { readFileSync } from 'node:fs';
import { keccak256 } from 'ethers';
import type { CreditArtifact } from './artifact';
import { canonicalJson } from './canonical-json';

/**
 * Reads a credit artifact file: its modelId is the keccak256 of the file's bytes, which must be the artifact's
 * canonical JSON (so two files with the same content have the same id). Errors name the file.
 */
export function readCreditArtifact(file: string): { artifact: CreditArtifact; json: string; modelId: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`credit artifact ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`credit artifact ${file}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const a = parsed as Partial<CreditArtifact>;
  if (a?.format !== 'risk-oracle/credit-model@1' || a.kind !== 'credit')
    throw new Error(`credit artifact ${file}: format is ${JSON.stringify(a?.format)}, expected "risk-oracle/credit-model@1"`);
  if (!a.quantized?.weights?.startsWith('0x') || !a.normalisation || !a.featureSpec)
    throw new Error(`credit artifact ${file}: missing quantized weights, normalisation or feature spec`);
  if (canonicalJson(parsed) !== text.trimEnd())
    throw new Error(
      `credit artifact ${file}: not in canonical form (was it edited or re-formatted?); its modelId would not be reproducible`,
    );
  const json = text.trimEnd();
  return { artifact: parsed as CreditArtifact, json, modelId: keccak256(Buffer.from(json)) };
}
