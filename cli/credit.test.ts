import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hexlify, JsonRpcProvider, keccak256, toBeHex, Wallet } from 'ethers';
import { createLogger, migrate, openDatabase, startAnvil, type AnvilInstance } from '../core';
import { createRandom } from '../core/random';
import { deployAll, passProposal, writeDeployment, type Deployment } from '../contracts';
import { canonicalJson } from '../models/credit/canonical-json';
import { encodeWeights, inferQuantized, ONE, scorecard, weightsHash, type QuantizedModel } from '../models/quantize/model';
import { proposeCreditEpoch, publishCreditEpoch, type EpochEntry } from '../oracle/credit-epoch';
import { cli, lastJson } from './testing';

function model(): QuantizedModel {
  const random = createRandom(21);
  const w = () => Math.round((random() - 0.5) * 2 * ONE);
  return {
    layers: [
      { weights: Array.from({ length: 5 }, () => Array.from({ length: 5 }, w)), biases: Array.from({ length: 5 }, w) },
      { weights: [Array.from({ length: 5 }, w)], biases: [-ONE] },
    ],
    ...scorecard(),
  };
}

describe('risk-oracle proof, verify --epoch/--all and challenge', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-credit-cli-'));
  const m = model();
  const weights = encodeWeights(m);
  // the parts of an artifact these commands read; the file is canonical JSON and its keccak256 the modelId
  const artifactJson = canonicalJson({
    format: 'risk-oracle/credit-model@1',
    kind: 'credit',
    featureSpec: { features: [], hash: keccak256('0x01') },
    normalisation: { mean: [0, 0, 0, 0, 0], std: [1, 1, 1, 1, 1], clip: 16 },
    quantized: { weights: hexlify(weights), weightsHash: weightsHash(m), dims: [5, 5, 1] },
  });
  const modelId = keccak256(Buffer.from(artifactJson));
  const artifact = path.join(dir, 'credit-model.json');
  const deploymentFile = path.join(dir, 'deployment.json');
  const random = createRandom(8);
  const entries: EpochEntry[] = Array.from({ length: 30 }, () => {
    const features = Array.from({ length: 5 }, () => Math.round((random() - 0.5) * 6 * ONE));
    const r = inferQuantized(m, features);
    return { wallet: Wallet.createRandom().address, score: r.score, pd: r.pd, features };
  });
  const tampered = entries[4]!;
  const challenger = Wallet.createRandom();
  let anvil: AnvilInstance;
  let provider: JsonRpcProvider;
  let env: Record<string, string>;

  beforeAll(async () => {
    writeFileSync(artifact, `${artifactJson}\n`);
    anvil = await startAnvil();
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });
    const deployer = await provider.getSigner(0);
    const signers = Array.from({ length: 5 }, () => Wallet.createRandom());
    const d: Deployment = await deployAll(deployer, { signers: signers.map((s) => s.address), threshold: 3 });
    writeDeployment(deploymentFile, d);
    const register = d.models.interface.encodeFunctionData('register', [modelId, weightsHash(m), keccak256('0x01'), 0, '']);
    await passProposal(d.dao, provider, deployer, [{ target: String(d.models.target), data: register }], 'register');
    await provider.send('anvil_setBalance', [challenger.address, toBeHex(10n ** 19n)]);

    // the publisher's database: an honest epoch 1 and an epoch 2 with one inflated score, both published
    const handle = await openDatabase({ dataDir: path.join(dir, 'db') });
    await migrate(handle.db);
    const log = createLogger({ level: 'silent' });
    const publish = async (epoch: number, list: EpochEntry[]) => {
      await proposeCreditEpoch({ db: handle.db, chainId: anvil.chainId, epoch, modelId, atBlock: 1, entries: list });
      await publishCreditEpoch({
        db: handle.db,
        registry: d.registry,
        chainId: anvil.chainId,
        epoch,
        signers: signers.slice(0, 3),
        threshold: 3,
        log,
      });
    };
    await publish(1, entries);
    await publish(
      2,
      entries.map((e) => (e === tampered ? { ...e, score: Math.min(850, e.score + 50) } : e)),
    );
    await handle.close();
    env = { DATABASE_URL: '', RISK_ORACLE_DATABASE_DATA_DIR: path.join(dir, 'db'), RPC_URL: anvil.rpcUrl, RISK_ORACLE_LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });

  it('serves proofs, finds the inflated score, refuses a pointless challenge, invalidates the wrong epoch, and verifies clean after', async () => {
    const proof = await cli(['proof', tampered.wallet, '--json'], env);
    expect(proof.code).toBe(0);
    expect(lastJson(proof.stdout)).toMatchObject({ wallet: tampered.wallet.toLowerCase(), epoch: 2, modelId });

    const before = await cli(['verify', '--all', '--artifact', artifact, '--deployment', deploymentFile, '--json'], env);
    expect(before.code).toBe(1);
    const found = lastJson(before.stdout);
    expect(found).toMatchObject({ rounds: 0, epochs: 2, scores: 60, mismatches: 1, invalidatedEpochs: [] });
    expect(found.list[0]).toMatchObject({
      kind: 'epoch',
      epoch: 2,
      wallet: tampered.wallet.toLowerCase(),
      field: 'score',
      derived: String(tampered.score),
    });
    const one = await cli(['verify', '--epoch', '1', '--artifact', artifact, '--deployment', deploymentFile, '--json'], env);
    expect([one.code, lastJson(one.stdout).mismatches, lastJson(one.stdout).scores]).toEqual([0, 0, 30]);

    const keyEnv = { ...env, CHALLENGER_KEY: challenger.privateKey };
    const args = ['challenge', '--epoch', '2', '--artifact', artifact, '--deployment', deploymentFile, '--key-env', 'CHALLENGER_KEY'];
    const pointless = await cli([...args, '--wallet', entries[0]!.wallet], keyEnv);
    expect(pointless.code).toBe(1);
    expect(pointless.stderr).toMatch(/score in epoch 2 is what the model gives: a challenge would fail/);
    const challenged = await cli([...args, '--wallet', tampered.wallet, '--json'], keyEnv);
    expect(challenged.code).toBe(0);
    expect(lastJson(challenged.stdout)).toMatchObject({ epoch: 2, invalidated: true, recomputed: { score: tampered.score } });
    expect(challenged.stdout + challenged.stderr + pointless.stderr).not.toContain(challenger.privateKey.slice(2));

    const after = await cli(['verify', '--all', '--artifact', artifact, '--deployment', deploymentFile, '--json'], env);
    expect([after.code, lastJson(after.stdout).mismatches, lastJson(after.stdout).invalidatedEpochs]).toEqual([0, 0, [2]]);
    // the invalidated epoch is no longer served
    expect(lastJson((await cli(['proof', tampered.wallet, '--json'], env)).stdout)).toMatchObject({ epoch: 1, score: tampered.score });
  });

  it('names the file or the input that is wrong', async () => {
    const edited = path.join(dir, 'edited.json');
    writeFileSync(edited, artifactJson.replace('"kind":"credit"', '"kind": "credit"'));
    const bad = await cli(['verify', '--epoch', '1', '--artifact', edited, '--deployment', deploymentFile], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`credit artifact ${edited}: not in canonical form`);
    expect((await cli(['proof', '0x1234'], env)).stderr).toContain('not an address: 0x1234');
    const none = await cli(['proof', Wallet.createRandom().address], env);
    expect([none.code, /no published score for 0x/.test(none.stderr)]).toEqual([1, true]);
    const noDeployment = await cli(['verify', '--epoch', '1', '--artifact', artifact], env);
    expect(noDeployment.stderr).toMatch(/--registry is required \(or a deployment file/);
  });
});
