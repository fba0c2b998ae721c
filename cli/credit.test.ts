import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hexlify, JsonRpcProvider, keccak256, toBeHex, Wallet } from 'ethers';
import { createLogger, migrate, startAnvil, type AnvilInstance } from '../core';
import { createRandom } from '../core/random';
import { deployAll, passProposal, writeDeployment, type Deployment } from '../contracts';
import { canonicalJson } from '../models/credit/canonical-json';
import { storeArtifact } from '../models/stored-artifact';
import { encodeWeights, inferQuantized, ONE, scorecard, weightsHash, type QuantizedModel } from '../models/quantize/model';
import { proposeCreditEpoch, publishCreditEpoch, type EpochEntry } from '../oracle/credit-epoch';
import { cli, cliDatabase, lastJson, type CliDatabase } from './testing';

function model(seed = 21): QuantizedModel {
  const random = createRandom(seed);
  const w = () => Math.round((random() - 0.5) * 2 * ONE);
  return {
    layers: [
      { weights: Array.from({ length: 5 }, () => Array.from({ length: 5 }, w)), biases: Array.from({ length: 5 }, w) },
      { weights: [Array.from({ length: 5 }, w)], biases: [-ONE] },
    ],
    ...scorecard(),
  };
}

/** The parts of an artifact these commands read; the file is canonical JSON and its keccak256 the modelId. */
const artifactOf = (m: QuantizedModel): string =>
  canonicalJson({
    format: 'risk-oracle/credit-model@1',
    kind: 'credit',
    featureSpec: { features: [], hash: keccak256('0x01') },
    normalisation: { mean: [0, 0, 0, 0, 0], std: [1, 1, 1, 1, 1], clip: 16 },
    quantized: { weights: hexlify(encodeWeights(m)), weightsHash: weightsHash(m), dims: [5, 5, 1] },
  });

describe(`risk-oracle proof, verify --epoch/--all and challenge (${process.env.DATABASE_URL ? 'Postgres' : 'PGlite'})`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ro-credit-cli-'));
  const m = model();
  const artifactJson = artifactOf(m);
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
  let database: CliDatabase;
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
    database = await cliDatabase(dir);
    const handle = await database.open();
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
    env = { ...database.env, RPC_URL: anvil.rpcUrl };
  });
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
    await database?.close();
  });

  it('recomputes each epoch with the stored artifact of its own model, names the model to import when there is none, and takes --artifact over it', async () => {
    const verify = (args: string[]) => cli(['verify', ...args, '--deployment', deploymentFile, '--json'], env);
    const missing = `the database stores no artifact of credit model ${modelId} (risk-oracle model import --artifact FILE, or give verify --artifact FILE)`;
    for (const args of [['--epoch', '1'], ['--all'], []]) {
      const refused = await verify(args);
      expect([args, refused.code]).toEqual([args, 1]);
      expect(refused.stderr).toContain(`credit epoch 1 cannot be re-derived: ${missing}`);
    }

    // stored as `model import` stores it
    await database.withDb((db) =>
      storeArtifact(
        db,
        'credit',
        { json: artifactJson, modelId },
        { weightsHash: weightsHash(m), featureSpecHash: keccak256('0x01'), seed: 21, backend: 'test', metrics: {} },
      ),
    );
    const all = await verify(['--all']);
    expect(all.code).toBe(1);
    expect(lastJson(all.stdout)).toMatchObject({
      epochs: 2,
      scores: 60,
      mismatches: 1,
      models: { [modelId]: 'the artifact of its model stored in the database' },
      list: [{ kind: 'epoch', epoch: 2, wallet: tampered.wallet.toLowerCase(), field: 'score', derived: String(tampered.score) }],
    });
    const one = await verify(['--epoch', '1']);
    expect([one.code, lastJson(one.stdout).mismatches, lastJson(one.stdout).scores]).toEqual([0, 0, 30]);
    const text = await cli(['verify', '--epoch', '1', '--deployment', deploymentFile], env);
    expect(text.stdout).toContain(`scores recomputed with model ${modelId}: the artifact of its model stored in the database`);

    // another model given by hand is used instead: the epoch does not name it, and its scores differ
    const otherJson = artifactOf(model(22));
    const other = path.join(dir, 'other-model.json');
    writeFileSync(other, `${otherJson}\n`);
    const overridden = await verify(['--epoch', '1', '--artifact', other]);
    expect(overridden.code).toBe(1);
    const result = lastJson(overridden.stdout);
    expect(result.models).toEqual({ [keccak256(Buffer.from(otherJson))]: 'the artifact given (--artifact)' });
    expect(result.list[0]).toMatchObject({ epoch: 1, field: 'modelId', published: modelId, derived: keccak256(Buffer.from(otherJson)) });
    expect(result.list.length).toBeGreaterThan(1);
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
