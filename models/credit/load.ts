import { readFileSync } from 'node:fs';
import { keccak256 } from 'ethers';
import type { CreditArtifact } from './artifact';
import { canonicalJson } from './canonical-json';

/**
 * Reads a credit artifact file: its modelId is the keccak256 of the file's bytes, which must be the artifact's
 * canonical JSON (so two files with the same content have the same id). Errors name the file.
 */
export function readCreditArtifact(file: string): { artifact: CreditArtifact; json: string; modelId: string } {
  const label = `credit artifact ${file}`;
  const { value, json, id } = readCanonicalFile(file, label, (parsed) => {
    const a = parsed as Partial<CreditArtifact>;
    if (a?.format !== 'risk-oracle/credit-model@1' || a.kind !== 'credit')
      throw new Error(`${label}: format is ${JSON.stringify(a?.format)}, expected "risk-oracle/credit-model@1"`);
    if (!a.quantized?.weights?.startsWith('0x') || !a.normalisation || !a.featureSpec)
      throw new Error(`${label}: missing quantized weights, normalisation or feature spec`);
  });
  return { artifact: value as CreditArtifact, json, modelId: id };
}

/**
 * Reads a file that must hold canonical JSON (artifacts, evaluation snapshots): its id is the keccak256 of its
 * bytes, so two files with the same content have the same id. `check` refuses a wrong shape before the
 * canonical-form check, so the error says what is wrong rather than only that the bytes differ.
 */
export function readCanonicalFile(
  file: string,
  label: string,
  check: (parsed: unknown) => void,
): { value: unknown; json: string; id: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${label}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${label}: not JSON (${(err as Error).message})`, { cause: err });
  }
  check(parsed);
  const json = text.trimEnd();
  if (canonicalJson(parsed) !== json)
    throw new Error(`${label}: not in canonical form (was it edited or re-formatted?); its id would not be reproducible`);
  return { value: parsed, json, id: keccak256(Buffer.from(json)) };
}
