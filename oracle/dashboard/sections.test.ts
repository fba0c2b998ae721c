import { renderPage } from './page';
import { renderSections } from './sections';
import { CANDIDATE, COLLATERAL_CANDIDATE, COLLATERAL_MODEL, DAO, GUARDIAN, MODEL, REJECTED, sampleSnapshot } from './testing';
import type { DashboardCharts } from './charts';

const charts: DashboardCharts = {
  assets: new Map([['WETH', { parameters: '<svg id="p"></svg>', price: '<svg id="q"></svg>' }]]),
  scores: '<svg id="s"></svg>',
  shadow: { rank: '<svg id="rank"></svg>', flips: '<svg id="flips"></svg>' },
  collateralShadow: { threshold: '<svg id="lt"></svg>', badDebt: '<svg id="bad-debt"></svg>' },
  drift: '<svg id="drift"></svg>',
};
const EVIL = '<img src=x onerror=alert(1)>';

describe('dashboard sections', () => {
  const sections = renderSections(sampleSnapshot(), charts);
  const html = (id: string) => sections.find((s) => s.id === id)!.html;

  it('renders every section in order, each headed by its own labelled h2', () => {
    expect(sections.map((s) => s.id)).toEqual(['summary', 'parameters', 'rounds', 'guards', 'guardian', 'credit', 'models', 'health']);
    for (const s of sections) expect(s.html.startsWith(`<h2 id="${s.id}-h">`)).toBe(true);
  });

  it('escapes everything that comes from the chain or the database', () => {
    const all = sections.map((s) => s.html).join('\n');
    expect(all).not.toContain(EVIL);
    expect(all).not.toMatch(/<img|<script/);
    expect(all).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('shows each asset in force on-chain against the bounds, the latest proposal, the model before the guards and why it was held', () => {
    const p = html('parameters');
    const weth = p.slice(p.indexOf('data-asset="WETH"'), p.indexOf('</article>'));
    expect(weth).toContain('<strong data-field="ltv" data-bps="7500">75.00 %</strong>');
    expect(weth).toContain('<strong data-field="liquidationBonus" data-bps="10500">5.00 %</strong>');
    expect(weth).toContain('50.00 % – 80.00 %');
    expect(weth).toContain('latest proposal (round 3, held)');
    expect(weth).toContain('<span data-proposal="ltv">73.00 %</span>');
    expect(weth).toContain('69.00 %');
    expect(weth).toMatch(/drift hold.*feature volatility PSI 0\.4 &gt; 0\.25/);
    expect(weth).toContain('Round <strong data-field="round">2</strong>');
    expect(weth).toContain('at most 3.00 %');
    expect(weth).toContain('<svg id="p"></svg>');
    expect(weth).toMatch(/aria-label="WETH parameters over 2 publication\(s\); now LTV 75\.00 %/);
    // never published: Aave's own configuration is what is in force
    expect(p).toMatch(/has not published for &lt;img[^<]*: Aave's own configuration is in force/);
    expect(p).toContain(`<span data-field="ltv" data-bps="7000">70.00 %</span> <span class="sub">Aave's own</span>`);
  });

  it('lists rounds with signers, gas, transaction and what verify says; proposals that never went out say why', () => {
    const r = html('rounds');
    expect(r).toMatch(/held.*not sent.*held by a guard: never sent/s);
    // the batch's 180,000 gas shared by its two assets, labelled as such
    expect(r).toContain('gas per asset (batch ÷ assets)');
    expect(r).toContain('<span data-field="gas-per-asset">90,000</span> <span class="sub stack">of 180,000 for 2 assets</span>');
    expect(r).toMatch(/2: <code title="0x1000000000000000000000000000000000000001">0x1000…0001<\/code>, <code/);
    expect(r).toMatch(/MISMATCH.*ltv: published 7500, derived 7400/);
    expect(r).toContain("the transaction's 2-of-2 EIP-712 signatures");
  });

  it('shows clips, holds and alerts with their reasons', () => {
    const g = html('guards');
    expect(g).toMatch(/step.*clip.*ltv clipped to the 300 bps step/s);
    expect(g).toMatch(/critical.*drift on WETH/s);
  });

  it("shows the drift guard's newest epoch decision with its reason, the PSI chart and its text alternative, and the market-level shares", () => {
    const g = html('guards');
    const drift = g.slice(g.indexOf('<h3 id="drift-h">'));
    expect(drift).toContain('Credit epoch <strong data-drift="epoch">2</strong>');
    expect(drift).toMatch(/data-drift="decision"><span class="pill bad">.*held<\/span>/);
    expect(drift).toContain('feature drift against the training data: borrow_count (PSI 0.410) &lt;img');
    expect(drift).toContain('<strong data-drift="threshold">0.25</strong>');
    expect(drift).toContain('more than 10.0 % of the wallets lie outside it');
    expect(drift).toContain('<svg id="drift"></svg>');
    const label = /<div role="img" aria-label="([^"]*)"><svg id="drift">/.exec(drift)![1];
    expect(label).toBe(
      'PSI per credit feature of epoch 2, bars against the threshold 0.25 (dashed rule): 1 of 3 wallet-level features above it; largest borrow_count 0.41, repay_ratio 0.12, age_days 0.09. Market-level, judged by the training range: open_collateral_vol_7d 2.5 % of wallets outside (PSI 4.90, not deciding).',
    );
    const row = drift.slice(drift.indexOf('Market-level features of epoch 2')).split('<tr>').at(-1)!;
    expect(row).toContain('<span data-drift-feature="open_collateral_vol_7d">');
    expect(row).toContain('<span data-drift="out-of-support">2.5 %</span>');
    expect(row).toContain('4.900');
  });

  it('says in one line that no epoch was proposed, and that a decision without figures has nothing to chart', () => {
    const none = renderSections({ ...sampleSnapshot(), drift: null }, charts).find((s) => s.id === 'guards')!.html;
    expect(none.slice(none.indexOf('<h3 id="drift-h">'))).toBe(
      '<h3 id="drift-h">Drift guard: the newest credit epoch</h3><p class="muted" data-drift="none">No credit epoch has been proposed yet: the drift guard has judged none.</p>',
    );
    const unchecked = {
      ...sampleSnapshot().drift!,
      decision: 'pass' as const,
      reason: 'not checked',
      threshold: null,
      psi: {},
      outOfSupport: {},
    };
    const g = renderSections({ ...sampleSnapshot(), drift: unchecked }, { ...charts, drift: undefined }).find(
      (s) => s.id === 'guards',
    )!.html;
    expect(g).toMatch(/data-drift="decision"><span class="pill ok">.*passed/);
    expect(g).toContain('This decision recorded no PSI per feature: nothing to chart.');
    expect(g).not.toContain('data-drift="threshold"');
    expect(g).not.toContain('Market-level features of epoch');
  });

  it('shows the credit side: distribution, epochs with their window and verification, and the challenge that invalidated one', () => {
    const c = html('credit');
    expect(c).toContain('<strong data-field="latest-epoch">2</strong>');
    expect(c).toMatch(/median<\/dt><dd>615/);
    expect(c).toContain('<svg id="s"></svg>');
    expect(c).toMatch(/invalidated.*1 score\(s\) differ from the model/s);
    expect(c).toMatch(/final/);
    expect(c).toMatch(/800<\/td><td>640<\/td><td>0\.1 ETH/);
  });

  it('shows each successful challenge with its epoch, wallet, both scores, challenger and bond, and says failed ones leave no event', () => {
    const c = html('credit');
    const challenges = c.slice(c.indexOf('Challenges (invalidated epochs)'));
    expect(challenges).toContain(
      '<th scope="col">epoch</th><th scope="col">wallet</th><th scope="col">published score</th><th scope="col">recomputed score</th><th scope="col">bond paid</th><th scope="col">challenger</th>',
    );
    const row = challenges.split('<tr>').at(-1)!;
    expect(row).toMatch(
      /^<th scope="row">2<\/th><td><code title="0x4000000000000000000000000000000000000004">0x4000…0004<\/code><\/td><td>800<\/td><td>640<\/td><td>0\.1 ETH<\/td><td><code title="0x3000000000000000000000000000000000000003">/,
    );
    // beside the table, with or without rows: a failed challenge reverts, so its absence says nothing
    const note =
      /<p class="sub" data-field="failed-challenges">[^<]*<code>CreditScoreRegistryChallengeFailed<\/code>[^<]*no event[^<]*<\/p>/;
    expect(c).toMatch(note);
    const none = sampleSnapshot();
    none.credit.challenges = [];
    const empty = renderSections(none, charts).find((s) => s.id === 'credit')!.html;
    expect(empty).toMatch(note);
    expect(empty).toContain('No challenge has succeeded');
  });

  it('shows whether RiskOracle is paused, the safety actions with actor, asset and restored values, and what a fall-back would restore', () => {
    const g = html('guardian');
    expect(g).toContain('<strong data-field="paused">paused</strong>');
    expect(g).toContain(`<code title="${GUARDIAN}">`);
    expect(g).toContain(`<code title="${DAO}">`);
    const rows = g.slice(g.indexOf('Safety actions logged')).split('<tr>');
    const restored = rows.find((r) => r.includes('data-guardian-event="ParametersRestored"'))!;
    expect(restored).toContain('RiskSteward');
    expect(restored).toMatch(new RegExp(`<code title="${GUARDIAN}">[^]*guardian`));
    expect(restored).toContain('<span data-field="asset">WETH</span>');
    expect(restored).toContain('<span data-restored="ltv" data-bps="7200">72.00 %</span>');
    expect(restored).toContain('<span data-restored="liquidationBonus" data-bps="10500">5.00 %</span>');
    expect(restored).toContain(`title="0x${'a2'.repeat(32)}"`);
    expect(restored).toContain('<td>117</td>');
    // the newest first; an event without `by` names who alone may emit it and lists its arguments, escaped
    expect(g.indexOf('data-guardian-event="ParametersRestored"')).toBeLessThan(g.indexOf('data-guardian-event="Paused"'));
    const set = rows.find((r) => r.includes('data-guardian-event="GuardianSet"'))!;
    expect(set).toContain('the DAO (only it sets the guardian)');
    expect(set).toContain(`guardian: <code title="${GUARDIAN}">`);
    expect(set).toContain('note: &lt;img');
    // per asset: nothing to restore, or the round a fall-back undoes and the values it puts back
    const fallBack = g.slice(g.indexOf('What a fall-back would restore now'));
    const weth = fallBack.split('<tr>').find((r) => r.includes('data-fallback-asset="WETH"'))!;
    expect(weth).toContain('nothing to restore');
    // a published round newer than the applied one is skipped, Aave kept; else the previous parameters come back
    expect(weth).toContain('<span data-fallback="next">skips round 3 (Aave kept)</span>');
    const other = fallBack.split('<tr>').find((r) => r.includes('data-fallback="round">1<'))!;
    expect(other).toContain('<span data-fallback="next">restores</span>');
    expect(other).toContain('<span data-fallback="ltv" data-bps="6500">65.00 %</span>');
    expect(other).toContain('<span data-fallback="liquidationBonus" data-bps="10900">9.00 %</span>');

    const quiet = sampleSnapshot();
    Object.assign(quiet.guardian, { paused: false, actions: [], steward: null, fallBack: [] });
    const q = renderSections(quiet, charts).find((s) => s.id === 'guardian')!.html;
    expect(q).toContain('<strong data-field="paused">not paused</strong>');
    expect(q).toContain('No pause, unpause, guardian change or fall-back logged since the deployment.');
    expect(q).toContain('The deployment names no RiskSteward');
  });

  it('shows the models in force and candidates side by side', () => {
    const m = html('models');
    expect(m).toMatch(/active.*credit epoch 1/s);
    expect(m).toContain('candidate (shadow)');
    expect(m).toContain('credit models side by side');
    expect(m).toMatch(/auc<\/th><td>0\.8312<\/td><td>0\.8400<\/td>/);
  });

  it('names the model in force by vote and lists bonded submissions with their bond, claim, disputes and outcomes', () => {
    const m = html('models');
    expect(m).toContain(`credit <span data-active="credit"><code title="${MODEL}">`);
    expect(m).toContain('collateral <span class="muted" data-active="collateral">none</span>');
    const rows = m.slice(m.indexOf('Bonded submissions')).split('<tr>');
    const candidate = rows.find((r) => r.includes(`title="${CANDIDATE}"`))!;
    expect(candidate).toContain('candidate (shadow)');
    expect(candidate).toContain('<span data-field="bond">0.1 ETH</span>');
    expect(candidate).toContain(`title="0x${'c1'.repeat(32)}"`);
    expect(candidate).toMatch(
      /with 0\.05 ETH bond, evidence <code title="0x(e1){32}">.*not upheld.*candidacy kept; 0\.15 ETH to the submitter/s,
    );
    const rejected = rows.find((r) => r.includes(`title="${REJECTED}"`))!;
    expect(rejected).toContain('rejected');
    expect(rejected).toContain('awaiting the DAO');
  });

  it('shows each candidate in shadow: its newest comparison with the model in force and the charts over time', () => {
    const m = html('models');
    const shadow = m.slice(m.indexOf('Candidates in shadow'));
    expect(shadow).toContain('compared 2 times');
    expect(shadow).toContain('<span data-shadow="rank">0.9300</span>');
    expect(shadow).toContain('<span data-shadow="mean-diff">13.25</span>');
    expect(shadow).toContain('<span data-shadow="flips">7</span> <span class="sub stack">5.8 % of wallets across 650</span>');
    expect(shadow).toContain('5.20 % / 4.90 %');
    expect(shadow).toContain('<svg id="rank"></svg>');
    expect(shadow).toMatch(/aria-label="Decision flips at the cutoff over time, per candidate; newest: 0xefefefef… 7 of 120"/);
  });

  it("shows each collateral candidate's newest proposals per asset beside the model in force's, with the difference", () => {
    const m = html('models');
    const overview = m.slice(m.indexOf('Collateral candidates in shadow'));
    const row = overview.split('<tr>').find((r) => r.includes(`title="${COLLATERAL_CANDIDATE}"`))!;
    expect(row).toContain('compared 3 times');
    expect(row).toContain('<span data-shadow="mean-lt-diff">0.50 pp</span>');
    expect(row).toMatch(/1\.00 pp.*1\.25 pp.*<td>2<\/td>/s);
    expect(row).toContain(`title="${COLLATERAL_MODEL}"`);
    expect(row).toContain('candidate (shadow)');
    // both policies' backtest over the same window, candidate first
    expect(row).toContain('<span data-shadow="backtest-bad-debt">0.012 / 0.009 %</span>');
    expect(row).toContain('806 steps; reference: model in force');
    expect(row).toContain('<span data-shadow="backtest-mean-ltv">74.1 / 72.7 %</span>');
    const perAsset = m.slice(m.indexOf('Collateral candidate 0xc7c7c7c7…c7c7c7 per asset'));
    const weth = perAsset.split('<tr>').find((r) => r.includes('data-collateral-asset="WETH"'))!;
    expect(weth).toContain('<span data-collateral="ltv-in-force" data-bps="7500">75.00 %</span>');
    expect(weth).toContain('<span data-collateral="ltv-candidate" data-bps="7350">73.50 %</span>');
    expect(weth).toContain('<span data-collateral="ltv-diff" data-bps="-150">−1.50 pp</span>');
    expect(weth).toContain('<span data-collateral="liquidationThreshold-diff" data-bps="0">±0.00 pp</span>');
    expect(weth).toContain('<span data-collateral="liquidationBonus-candidate" data-bps="10550">5.50 %</span>');
    expect(weth).toContain('<span data-collateral="liquidationBonus-diff" data-bps="50">+0.50 pp</span>');
    expect(weth).toContain('12.3 %');
    // every column is named for itself (no bare "candidate" or "Δ" a screen reader could not place)
    expect(perAsset).toContain('<th scope="col">Δ threshold</th><th scope="col">bonus in force</th>');
    // a window too short for a backtest is said, not left blank
    const short = sampleSnapshot();
    short.models.collateralShadow[0]!.newest.backtest = { unavailable: 'a row needs 745 steps' };
    const shortHtml = renderSections(short, charts).find((x) => x.id === 'models')!.html;
    expect(shortHtml).toContain('<span class="sub">none: a row needs 745 steps</span>');
    // without results it says how they come
    const none = sampleSnapshot();
    none.models.collateralShadow = [];
    const empty = renderSections(none, charts).find((s) => s.id === 'models')!.html;
    expect(empty).toContain('No collateral shadow result recorded yet');
    expect(empty).not.toContain('per asset: in force, candidate');
    expect(empty).not.toContain('<svg id="lt">');
  });

  it("charts each collateral candidate's comparisons over time with a text alternative naming the newest figures", () => {
    const m = html('models');
    const collateral = m.slice(m.indexOf('Shadow results: collateral'));
    expect(collateral).toContain('<svg id="lt"></svg>');
    expect(collateral).toContain('<svg id="bad-debt"></svg>');
    expect(collateral).toMatch(
      /aria-label="Mean absolute difference in liquidation threshold[^"]*in basis points; newest: 0xc7c7c7c7… 50 bps"/,
    );
    expect(collateral).toMatch(/aria-label="Shadow backtest bad debt over time[^"]*newest: 0xc7c7c7c7… 0\.012 % against 0\.009 %"/);
  });

  it('says on which basis an epoch verified', () => {
    const snapshot = sampleSnapshot();
    snapshot.credit.epochs[1]!.verify = {
      state: 'verified',
      basis: 'every score recomputed with the artifact of its model stored in the database',
    };
    const c = renderSections(snapshot, charts).find((s) => s.id === 'credit')!.html;
    expect(c).toContain(
      'verified: re-derived bit for bit</span> <span class="sub" data-field="verify-basis">every score recomputed with the artifact of its model stored in the database</span>',
    );
  });

  it('shows health: lag against its limit and each problem', () => {
    const h = html('health');
    expect(h).toContain('<span data-field="lag">80 block(s) (limit 50)</span>');
    expect(h).toContain('<span data-field="indexed">40</span>');
    expect(h).toMatch(/problem.*indexer 80 blocks behind/s);
    expect(h).toContain('risk-oracle run');
  });

  it('builds a page with a nonce for its one script, a skip link, navigation and the wallet lookup after the credit section', () => {
    const page = renderPage({
      chainId: 31337,
      riskOracle: '0x0000000000000000000000000000000000000a01',
      sections: sections.map((s) => ({ ...s, hash: 'abc' })),
      version: 'v1',
      generatedAt: 1_750_000_100,
      pollMs: 1_000,
      nonce: 'n0nce',
    });
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).toContain('<script nonce="n0nce">');
    expect(page).toContain('<a class="skip" href="#main">');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain('data-poll-ms="1000"');
    expect(page.indexOf('id="credit"')).toBeLessThan(page.indexOf('id="lookup"'));
    expect(page.indexOf('id="lookup"')).toBeLessThan(page.indexOf('id="models"'));
    expect(page).toContain('<label for="wallet">Wallet address</label>');
    expect(page).toContain('aria-live="polite"');
    expect(page).toMatch(/<li><a href="#lookup">Wallet lookup<\/a><\/li>/);
    expect(page).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // nothing loaded from anywhere
  });
});
