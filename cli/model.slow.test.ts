import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keccak256, parseEther, toBeHex, Wallet, ZeroHash } from 'ethers';
import { passProposal } from '../contracts/deploy/dao';
import { createLogger, createMetricsRegistry, openDatabase } from '../core';
import { canonicalJson, spearman } from '../models';
import { collateralShadowHistory, creditShadowJob, shadowHistory } from '../oracle/shadow';
import { DEFAULT_COLLATERAL_MODEL, modelIdOf } from '../oracle/propose';
import { cliJson, cliRefused, startOracleChain, type OracleChain } from './testing';

/**
 * Issue #9's lifecycle on anvil: two models trained, submitted with bonds and claims on one public snapshot; the
 * honest claim reproduces, the inflated one does not and is disputed; the DAO upholds the dispute and promotes the
 * other through propose → vote → queue → execute; bad artifacts are refused before anything is registered.
 */
describe('risk-oracle model: submit, check, dispute, promote by vote', () => {
  let chain: OracleChain;
  let env: Record<string, string>;
  const submitter = Wallet.createRandom();
  const disputer = Wallet.createRandom();
  const file = (name: string) => path.join(chain.dir, name);
  const run = (args: string[], code = 0) => cliJson(args, env, code);
  const refused = (args: string[]) => cliRefused(args, env);
  const registry = () => chain.deployment.models.connect(chain.provider);
  const trainArgs = ['--horizon-days', '3', '--every-days', '4', '--epochs', '3'];

  beforeAll(async () => {
    chain = await startOracleChain();
    env = { ...chain.env, SUBMITTER_KEY: submitter.privateKey, DISPUTER_KEY: disputer.privateKey };
    for (const w of [submitter, disputer]) await chain.provider.send('anvil_setBalance', [w.address, toBeHex(parseEther('10'))]);
    await run([
      'train',
      'credit',
      '--simulate',
      '300',
      '--days',
      '70',
      ...trainArgs,
      '--hidden',
      '8',
      '--seed',
      '1',
      '--out',
      file('a.json'),
    ]);
    await run(['train', 'credit', ...trainArgs, '--hidden', '4', '--seed', '2', '--out', file('b.json')]);
    await run([
      'snapshot',
      'create',
      '--at',
      'latest',
      '--horizon-days',
      '3',
      '--every-days',
      '4',
      '--min-history-days',
      '10',
      '--out',
      file('snap.json'),
    ]);
  }, 180_000);
  afterAll(async () => {
    await chain?.stop();
  });

  it('refuses bad artifacts before anything is registered', async () => {
    const good = JSON.parse(readFileSync(file('a.json'), 'utf8')) as Record<string, unknown> & {
      featureSpec: { hash: string };
      quantized: { weights: string };
    };
    const write = (name: string, value: unknown, canonical = true) => {
      writeFileSync(file(name), canonical ? `${canonicalJson(value)}\n` : JSON.stringify(value, null, 1));
      return file(name);
    };
    const submit = (artifact: string) =>
      refused(['model', 'submit', '--artifact', artifact, '--snapshot', file('snap.json'), '--key-env', 'SUBMITTER_KEY']);
    expect(await submit(write('reformatted.json', good, false))).toContain('not in canonical form');
    const { quantized: _q, ...missing } = good;
    expect(await submit(write('missing.json', missing))).toContain('missing quantized weights');
    expect(await submit(write('spec.json', { ...good, featureSpec: { ...good.featureSpec, hash: ZeroHash } }))).toContain('feature spec');
    const bytes = Buffer.from(good.quantized.weights.slice(2), 'hex');
    bytes.writeInt32BE(2 ** 30, 2 + 2 * (bytes[1]! + 1)); // the first weight, far beyond the verifier's bound
    expect(
      await submit(write('range.json', { ...good, quantized: { ...good.quantized, weights: `0x${bytes.toString('hex')}` } })),
    ).toContain('invalid quantised model');
    expect(await registry().modelIdAt(1)).toBe(ZeroHash);
  });

  it('an honest claim reproduces; an inflated one is flagged, disputed, and the DAO upholds the dispute', async () => {
    const a = await run([
      'model',
      'submit',
      '--artifact',
      file('a.json'),
      '--snapshot',
      file('snap.json'),
      '--uri',
      'ipfs://a',
      '--key-env',
      'SUBMITTER_KEY',
    ]);
    expect(a).toMatchObject({ status: 'candidate', kind: 'credit', index: 1, submitter: submitter.address, reproducedLocally: true });

    // B's submitter claims a better AUC than its model has
    await run(['evaluate', '--artifact', file('b.json'), '--snapshot', file('snap.json'), '--out', file('b-eval.json')]);
    const honest = JSON.parse(readFileSync(file('b-eval.json'), 'utf8')) as { model: { rocAuc: number } };
    writeFileSync(
      file('b-claim.json'),
      `${canonicalJson({ ...honest, model: { ...honest.model, rocAuc: honest.model.rocAuc + 0.05 } })}\n`,
    );
    const b = await run([
      'model',
      'submit',
      '--artifact',
      file('b.json'),
      '--snapshot',
      file('snap.json'),
      '--claim',
      file('b-claim.json'),
      '--key-env',
      'SUBMITTER_KEY',
    ]);
    expect(b).toMatchObject({ status: 'candidate', index: 2, reproducedLocally: false });

    const checkA = await run(['model', 'check', String(a.modelId), '--artifact', file('a.json'), '--snapshot', file('snap.json')]);
    expect(checkA).toMatchObject({ reproduced: true, problems: [] });
    const checkB = await run(
      [
        'model',
        'check',
        String(b.modelId),
        '--artifact',
        file('b.json'),
        '--snapshot',
        file('snap.json'),
        '--dispute',
        '--key-env',
        'DISPUTER_KEY',
      ],
      1,
    );
    expect(checkB).toMatchObject({ reproduced: false, disputeTx: expect.stringMatching(/^0x/) });
    expect((checkB.problems as string[])[0]).toContain('claimed evaluation');
    expect(await refused(['model', 'check', String(b.modelId), '--artifact', file('a.json'), '--snapshot', file('snap.json')])).toContain(
      'not',
    );
    expect((await run(['model', 'status', String(b.modelId)])).status).toBe('disputed');

    const proposal = await run(['model', 'propose-uphold-dispute', String(b.modelId)]);
    const id = await passProposal(
      chain.deployment.dao,
      chain.provider,
      await chain.provider.getSigner(0),
      [{ target: (proposal.targets as string[])[0]!, data: (proposal.calldatas as string[])[0]! }],
      String(proposal.description),
    );
    expect(id.toString()).toBe(proposal.proposalId);
    expect((await run(['model', 'status', String(b.modelId)])).status).toBe('rejected');
    const bond = parseEther('0.1');
    expect(await registry().owed(disputer.address)).toBe(bond * 2n);
  });

  it('the DAO promotes the reproduced model by vote: it is in force for credit and its bond is released', async () => {
    const modelId = await registry().modelIdAt(1);
    const proposal = await run(['model', 'propose-promotion', modelId]);
    await passProposal(
      chain.deployment.dao,
      chain.provider,
      await chain.provider.getSigner(0),
      [{ target: (proposal.targets as string[])[0]!, data: (proposal.calldatas as string[])[0]! }],
      String(proposal.description),
    );
    const status = await run(['model', 'status', modelId]);
    expect(status).toMatchObject({ status: 'active', active: { credit: modelId, collateral: ZeroHash } });
    expect(await registry().owed(submitter.address)).toBe(parseEther('0.1'));
    // a rejected model cannot be promoted: the proposal's execution reverts
    const rejected = await registry().modelIdAt(2);
    const again = await run(['model', 'propose-promotion', rejected, '--description', 'promote the rejected one']);
    await expect(
      passProposal(
        chain.deployment.dao,
        chain.provider,
        await chain.provider.getSigner(0),
        [{ target: (again.targets as string[])[0]!, data: (again.calldatas as string[])[0]! }],
        'promote the rejected one',
      ),
    ).rejects.toThrow();
  });

  it('a candidate runs in shadow beside the model in force: its comparison is recorded once per time, never published', async () => {
    const inForce = await registry().activeModel(0);
    await run(['train', 'credit', ...trainArgs, '--hidden', '6', '--seed', '3', '--out', file('c.json')]);
    const c = await run(['model', 'submit', '--artifact', file('c.json'), '--snapshot', file('snap.json'), '--key-env', 'SUBMITTER_KEY']);
    // a candidate submitted straight to the contract, whose artifact this database never saw
    const unknown = keccak256('0x0d');
    const bond = await registry().submissionBond();
    const direct = chain.deployment.models.connect(submitter.connect(chain.provider));
    await (
      await direct.submit(unknown, keccak256('0x01'), keccak256('0x02'), 0, '', keccak256('0x03'), keccak256('0x04'), { value: bond })
    ).wait();

    const at = '1800000000';
    const first = await run(['model', 'shadow', '--at', at]);
    expect(first).toMatchObject({ inForce, missing: [unknown] });
    const results = first.results as Array<Record<string, number | string>>;
    expect(results).toHaveLength(1);
    const r = results[0]!;
    expect(r).toMatchObject({ modelId: c.modelId, referenceModelId: inForce, cutoff: 650 });
    expect(r.wallets).toBeGreaterThan(100);

    // the same comparison from the scores each model gives on its own
    const scoresOf = async (artifact: string, out: string) => {
      await run(['score', '--artifact', artifact, '--at', at, '--out', file(out)]);
      return new Map(
        readFileSync(file(out), 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => [l.split(',')[0]!, Number(l.split(',')[1])] as const),
      );
    };
    const ref = await scoresOf(file('a.json'), 'a.csv');
    const cand = await scoresOf(file('c.json'), 'c.csv');
    const wallets = [...ref.keys()];
    expect(wallets).toHaveLength(Number(r.wallets));
    expect(r.rankCorrelation).toBeCloseTo(
      spearman(
        wallets.map((w) => cand.get(w)!),
        wallets.map((w) => ref.get(w)!),
      ),
      12,
    );
    const flips = wallets.filter((w) => cand.get(w)! >= 650 !== ref.get(w)! >= 650).length;
    expect(r.decisionFlips).toBe(flips);
    expect(r.maxAbsScoreDiff).toBe(Math.max(...wallets.map((w) => Math.abs(cand.get(w)! - ref.get(w)!))));

    const again = await run(['model', 'shadow', '--at', at]);
    expect(again.results).toEqual(first.results);
    const h = await openDatabase({ dataDir: env.RISK_ORACLE_DATABASE_DATA_DIR! });
    try {
      const stored = await shadowHistory(h.db, Number(first.chainId), String(c.modelId));
      expect(stored).toEqual([r]);
    } finally {
      await h.close();
    }
    // the daemon's job: the same step at the latest time, its figures as gauges per candidate
    const metrics = createMetricsRegistry();
    const h2 = await openDatabase({ dataDir: env.RISK_ORACLE_DATABASE_DATA_DIR! });
    try {
      const job = creditShadowJob({
        db: h2.db,
        registry: registry(),
        chainId: Number(first.chainId),
        metrics,
        log: createLogger({ level: 'silent' }),
      });
      await job();
      const recorded = await shadowHistory(h2.db, Number(first.chainId), String(c.modelId));
      expect(recorded).toHaveLength(2);
      const latest = recorded.find((x) => x.at !== Number(at))!;
      const text = await metrics.metrics();
      expect(text).toContain(`risk_oracle_shadow_rank_correlation{model="${c.modelId}"} ${latest.rankCorrelation}`);
      expect(text).toContain(`risk_oracle_shadow_decision_flips{model="${c.modelId}"} ${latest.decisionFlips}`);
    } finally {
      await h2.close();
    }
    // nothing was published for the candidate
    expect(await chain.deployment.registry.connect(chain.provider).latestEpoch()).toBe(0n);
  });

  it('collateral models: submitted with a claim on a collateral snapshot, checked, an inflated claim flagged, shadowed beside the empirical spec', async () => {
    // on the prices the oracle chain imported (CSV, off-chain): the snapshot is cut from the indexed ones
    for (const seed of ['5', '6']) await run(['train', 'collateral', '--epochs', '2', '--seed', seed, '--out', file(`col${seed}.json`)]);
    await run(['snapshot', 'create', '--kind', 'collateral', '--at', 'latest', '--out', file('csnap.json')]);
    const honest = await run([
      'model',
      'submit',
      '--artifact',
      file('col5.json'),
      '--snapshot',
      file('csnap.json'),
      '--key-env',
      'SUBMITTER_KEY',
    ]);
    expect(honest).toMatchObject({ status: 'candidate', kind: 'collateral', reproducedLocally: true });
    expect(
      await run(['model', 'check', String(honest.modelId), '--artifact', file('col5.json'), '--snapshot', file('csnap.json')]),
    ).toMatchObject({
      kind: 'collateral',
      reproduced: true,
      problems: [],
    });

    // the other submitter claims a better coverage than its model has
    await run(['evaluate', '--artifact', file('col6.json'), '--snapshot', file('csnap.json'), '--out', file('col6-eval.json')]);
    const own = JSON.parse(readFileSync(file('col6-eval.json'), 'utf8')) as { coverage: Array<{ share: number }> };
    const inflated = { ...own, coverage: own.coverage.map((c) => ({ ...c, share: Math.min(1, c.share + 0.05) })) };
    writeFileSync(file('col6-claim.json'), `${canonicalJson(inflated)}\n`);
    const other = await run([
      'model',
      'submit',
      '--artifact',
      file('col6.json'),
      '--snapshot',
      file('csnap.json'),
      '--claim',
      file('col6-claim.json'),
      '--key-env',
      'SUBMITTER_KEY',
    ]);
    expect(other).toMatchObject({ kind: 'collateral', reproducedLocally: false });
    const check = await run(
      ['model', 'check', String(other.modelId), '--artifact', file('col6.json'), '--snapshot', file('csnap.json')],
      1,
    );
    expect((check.problems as string[])[0]).toContain('claimed evaluation');
    expect(
      await refused(['model', 'submit', '--artifact', file('col5.json'), '--snapshot', file('snap.json'), '--key-env', 'SUBMITTER_KEY']),
    ).toContain('a collateral model cannot be evaluated on a credit snapshot');

    // no collateral model in force: both candidates beside the oracle's empirical-quantile spec, recorded
    const shadow = await run(['model', 'shadow', '--kind', 'collateral']);
    expect(shadow).toMatchObject({ empirical: true, inForce: modelIdOf(DEFAULT_COLLATERAL_MODEL), missing: [] });
    const results = shadow.results as Array<{ modelId: string; assets: Array<{ symbol: string }> }>;
    expect(results.map((r) => r.modelId)).toEqual([honest.modelId, other.modelId]);
    expect(results[0]!.assets.map((a) => a.symbol)).toEqual(['DAI', 'GOV', 'USDC', 'WBTC', 'WETH']);
    const h = await openDatabase({ dataDir: env.RISK_ORACLE_DATABASE_DATA_DIR! });
    try {
      const history = await collateralShadowHistory(h.db, Number(shadow.chainId), String(honest.modelId));
      expect(history.map((x) => x.assets)).toEqual([results[0]!.assets]);
    } finally {
      await h.close();
    }
  }, 180_000);
});
