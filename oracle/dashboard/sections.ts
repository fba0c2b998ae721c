import { formatEther } from 'ethers';
import { MAX_OUT_OF_SUPPORT_SHARE } from '../drift';
import { driftFigures, type DashboardCharts } from './charts';
import { bonusPct, duration, figure, hex, pct, pill, table, text, time, verifyBadge } from './html';
import type {
  AssetView,
  CollateralShadowView,
  DashboardSnapshot,
  DriftView,
  EpochView,
  GuardianActionView,
  RoundView,
  ShadowView,
  SubmissionView,
} from './types';

/** One block of the page, replaced as a whole when the live update brings a new version of it. */
export interface Section {
  id: string;
  title: string;
  /** Inner HTML (the heading included); all data in it is escaped. */
  html: string;
}

const h2 = (id: string, title: string) => `<h2 id="${id}-h">${text(title)}</h2>`;
const signerList = (signers: string[]) =>
  signers.length
    ? `<span class="list">${signers.length}: ${signers.map((s) => hex(s, 4)).join(', ')}</span>`
    : '<span class="muted">none</span>';
const gas = (g: number | null) => (g === null ? '<span class="muted">–</span>' : text(g.toLocaleString('en-US')));
/** A round's share of its batch's gas, with the batch's gas and size beside it. */
const gasShare = (r: RoundView) =>
  r.gasPerAsset === null
    ? gas(r.gasUsed)
    : `<span data-field="gas-per-asset">${gas(r.gasPerAsset)}</span> <span class="sub stack">of ${gas(r.gasUsed)} for ${text(r.batchAssets)} asset${r.batchAssets === 1 ? '' : 's'}</span>`;
const eth = (wei: string) => `${text(formatEther(wei))} ETH`;
const txCell = (tx: string | null) => (tx ? hex(tx) : '<span class="muted">not sent</span>');

function summary(s: DashboardSnapshot): Section {
  const published = s.assets.filter((a) => a.onChain.round > 0);
  const newest = Math.max(0, ...published.map((a) => a.onChain.updatedAt));
  const onChain = s.rounds.filter((r) => r.status === 'published');
  const verified = onChain.filter((r) => r.verify.state === 'verified').length;
  const wrong = onChain.filter((r) => r.verify.state === 'mismatch').length;
  const held = s.assets.filter((a) => a.proposal?.status === 'held').length;
  const epoch = s.credit.epochs.find((e) => e.status === 'published');
  const figures: Array<[string, string]> = [
    ['health', s.health.healthy ? pill('ok', 'healthy') : pill('bad', `${s.health.problems.length} problem(s)`)],
    ['assets published', `${published.length} of ${s.assets.length}${newest ? ` <span class="sub">newest ${time(newest)}</span>` : ''}`],
    ['rounds verified (shown)', `${verified} of ${onChain.length}${wrong ? ` ${pill('bad', `${wrong} mismatch(es)`)}` : ''}`],
    ['held by a guard (latest proposals)', held ? pill('warn', `${held} held`) : '0'],
    ['credit epoch in force', epoch ? `${epoch.epoch} <span class="sub">${text(epoch.wallets)} wallets</span>` : 'none'],
    ['signers', `${s.chain.threshold} of ${s.chain.signers.length}${s.chain.paused ? ` ${pill('bad', 'PAUSED')}` : ''}`],
  ];
  return {
    id: 'summary',
    title: 'At a glance',
    html: `${h2('summary', 'At a glance')}<dl class="figures">${figures.map(([k, v]) => `<div><dt>${text(k)}</dt><dd>${v}</dd></div>`).join('')}</dl>`,
  };
}

function assetCard(a: AssetView, i: number, charts: DashboardCharts): string {
  const id = `asset-${i}`;
  const keys = [
    ['ltv', 'LTV', pct],
    ['liquidationThreshold', 'liquidation threshold', pct],
    ['liquidationBonus', 'liquidation bonus', bonusPct],
  ] as const;
  const never = a.onChain.round === 0;
  const p = a.proposal;
  const rows = keys.map(([key, label, fmt]) => [
    text(label),
    never
      ? a.market
        ? `<span data-field="${key}" data-bps="${a.market[key]}">${fmt(a.market[key])}</span> <span class="sub">Aave's own</span>`
        : '<span class="muted">never published</span>'
      : `<strong data-field="${key}" data-bps="${a.onChain[key]}">${fmt(a.onChain[key])}</strong>`,
    // a minimum bonus below 10000 (no bonus) is no minimum at all: Aave requires a bonus above it anyway
    key === 'liquidationBonus' && a.bounds.min[key] <= 10_000
      ? `no minimum – ${fmt(a.bounds.max[key])}`
      : `${fmt(a.bounds.min[key])} – ${fmt(a.bounds.max[key])}`,
    p ? `<span data-proposal="${key}">${fmt(p[key])}</span>` : '<span class="muted">–</span>',
    p?.raw ? fmt(p.raw[key]) : '<span class="muted">–</span>',
  ]);
  const proposalHead = p ? `latest proposal (round ${p.round}, ${p.status})` : 'latest proposal';
  const decisions = p?.decisions.length
    ? `<ul class="reasons">${p.decisions.map((d) => `<li>${pill(d.decision === 'hold' ? 'bad' : 'warn', `${d.guard} ${d.decision}`)} ${text(d.reason)}</li>`).join('')}</ul>`
    : '';
  const c = charts.assets.get(a.symbol) ?? {};
  const last = a.history.at(-1);
  return `<article class="asset" aria-labelledby="${id}-h" data-asset="${text(a.symbol)}">
<h3 id="${id}-h">${text(a.symbol)} ${hex(a.address, 4)}</h3>
<p>${
    never
      ? `The oracle has not published for ${text(a.symbol)}: ${a.market ? "Aave's own configuration is in force" : 'nothing is in force on RiskOracle'}.`
      : `Round <strong data-field="round">${text(a.onChain.round)}</strong> in force since ${time(a.onChain.updatedAt)}; model ${hex(a.provenance.modelId)}, inputs root ${hex(a.provenance.inputsRoot)}.`
  } Each update moves a parameter at most ${pct(a.bounds.maxChangeBps)}${a.bounds.minDelaySeconds ? ` and comes at least ${duration(a.bounds.minDelaySeconds)} after the last` : ', with no minimum delay between updates'}.</p>
${table({ caption: `${a.symbol}: parameters in force against the DAO's bounds and the model's latest proposal`, columns: ['parameter', 'in force (on-chain)', "DAO's bounds", proposalHead, 'model before the guards'], rows, empty: '' })}
${p ? `<p class="sub">Proposal at block ${text(p.atBlock)}, recorded ${time(p.createdAt)}${p.decisions.length ? '; the guards:' : '; every guard passed.'}</p>${decisions}` : ''}
<div class="charts">${figure(
    c.parameters,
    last
      ? `${a.symbol} parameters over ${a.history.length} publication(s); now LTV ${pct(last.ltv)}, threshold ${pct(last.liquidationThreshold)}, bonus ${bonusPct(last.liquidationBonus)}`
      : '',
  )}${figure(
    c.price,
    a.prices.points.length
      ? `${a.symbol} price, ${a.prices.points.length} points from ${a.prices.source}; latest ${a.prices.points.at(-1)!.p} USD`
      : '',
  )}</div>
</article>`;
}

function parameters(s: DashboardSnapshot, charts: DashboardCharts): Section {
  return {
    id: 'parameters',
    title: 'Parameters per asset',
    html: `${h2('parameters', 'Parameters per asset')}<p>What RiskOracle holds now (read from the chain) against the bounds the DAO set, and what the model proposed last (from the oracle's database). Percentages of collateral value; the bonus is what a liquidator earns above the debt repaid.</p>
${s.assets.length ? s.assets.map((a, i) => assetCard(a, i, charts)).join('\n') : '<p class="muted">No reserves in the deployment.</p>'}`,
  };
}

function roundRow(r: RoundView): string[] {
  const status = r.status === 'published' ? pill('ok', 'published') : r.status === 'held' ? pill('bad', 'held') : pill('warn', r.status);
  return [
    text(r.symbol),
    text(r.round),
    status,
    pct(r.ltv),
    pct(r.liquidationThreshold),
    bonusPct(r.liquidationBonus),
    time(r.time),
    r.blockNumber === null ? '<span class="muted">–</span>' : text(r.blockNumber),
    signerList(r.signers),
    gasShare(r),
    txCell(r.tx),
    verifyBadge(r.verify),
  ];
}

function rounds(s: DashboardSnapshot): Section {
  return {
    id: 'rounds',
    title: 'Rounds',
    html: `${h2('rounds', 'Rounds')}<p>Newest first. Published rounds come from RiskOracle's events; their signers are recovered from the transaction's ${text(s.chain.threshold)}-of-${text(s.chain.signers.length)} EIP-712 signatures, and each is re-derived from public data as <code>risk-oracle verify</code> does. One transaction publishes a batch of assets: gas per asset is the batch's gas divided by the assets it updated (each update does the same work; the base cost and the signature checks serve the whole batch), the batch's own gas beside it.</p>
${table({
  caption: 'Parameter rounds, newest first',
  columns: [
    'asset',
    'round',
    'status',
    'LTV',
    'threshold',
    'bonus',
    'time',
    'block',
    'signers',
    'gas per asset (batch ÷ assets)',
    'transaction',
    'verify',
  ],
  rows: s.rounds.map(roundRow),
  empty: 'No round proposed or published yet.',
})}`,
  };
}

const share = (x: number) => `${(x * 100).toFixed(1)} %`;

/** The drift chart's text alternative: the threshold, how many features lie above it and which, the market-level ones' shares. */
function driftAlternative(d: DriftView): string {
  const wallet = Object.entries(d.psi)
    .filter(([f]) => !(f in d.outOfSupport))
    .sort((a, b) => b[1] - a[1]);
  const above = wallet.filter(([, v]) => d.threshold !== null && v > d.threshold);
  const market = Object.entries(d.outOfSupport).map(
    ([f, x]) => `${f} ${share(x)} of wallets outside${d.psi[f] === undefined ? '' : ` (PSI ${d.psi[f]!.toFixed(2)}, not deciding)`}`,
  );
  const largest = wallet.slice(0, 3).map(([f, v]) => `${f} ${v.toFixed(2)}`);
  return `PSI per credit feature of epoch ${d.epoch}, bars against the threshold ${d.threshold} (dashed rule): ${above.length} of ${wallet.length} wallet-level features above it${largest.length ? `; largest ${largest.join(', ')}` : ''}${market.length ? `. Market-level, judged by the training range: ${market.join('; ')}` : ''}.`;
}

/** The drift guard's newest decision on a credit epoch, held or passed, with PSI per feature charted. */
function driftPart(d: DriftView | null, svg: string | undefined): string {
  const head = '<h3 id="drift-h">Drift guard: the newest credit epoch</h3>';
  if (!d) return `${head}<p class="muted" data-drift="none">No credit epoch has been proposed yet: the drift guard has judged none.</p>`;
  const figures = driftFigures(d);
  const market = Object.entries(d.outOfSupport);
  // the drift guard holds or passes; a clip would be some other guard's word, shown as it is
  const decision = d.decision === 'hold' ? pill('bad', 'held') : d.decision === 'pass' ? pill('ok', 'passed') : pill('warn', d.decision);
  const judged = `A wallet-level feature holds the epoch when its PSI (population stability index against the model's training rows) is above the threshold${d.threshold === null ? '' : ` <strong data-drift="threshold">${text(d.threshold)}</strong>`}; a market-level feature (one value per asset when every wallet is scored at one instant) is judged by the training range instead: the epoch holds when more than ${text(share(MAX_OUT_OF_SUPPORT_SHARE))} of the wallets lie outside it.`;
  const marketTable = market.length
    ? table({
        caption: `Market-level features of epoch ${d.epoch}: judged by the training range, not PSI`,
        columns: ['feature', 'wallets outside the training range', 'PSI (shown, not deciding)'],
        rows: market.map(([f, x]) => [
          `<span data-drift-feature="${text(f)}">${text(f)}</span>`,
          `<span data-drift="out-of-support">${text(share(x))}</span>`,
          d.psi[f] === undefined ? dash : text(d.psi[f]!.toFixed(3)),
        ]),
        empty: '',
      })
    : '';
  return `${head}<p>Credit epoch <strong data-drift="epoch">${text(d.epoch)}</strong>, recorded ${time(d.time)}: <span data-drift="decision">${decision}</span> <span data-drift="reason">${text(d.reason)}</span></p>
<p>${judged}</p>
${figures ? `<div class="charts">${figure(svg, driftAlternative(d))}</div>` : '<p class="muted">This decision recorded no PSI per feature: nothing to chart.</p>'}
${marketTable}`;
}

function guards(s: DashboardSnapshot, charts: DashboardCharts): Section {
  return {
    id: 'guards',
    title: 'Guard decisions and alerts',
    html: `${h2('guards', 'Guard decisions and alerts')}<p>Every proposal passes the guards before anyone signs: finite and in range, Aave's joint invariants, the DAO's bounds and step limits (a value is clipped to what the chain allows), feature drift (held, never published). Clips and holds, newest first; below them the drift guard's newest decision on a credit epoch, held or passed, with its figures.</p>
${table({
  caption: 'Guard clips and holds, newest first',
  columns: ['asset', 'round', 'guard', 'decision', 'reason', 'time'],
  rows: s.guards.map((g) => [
    text(g.symbol ?? g.subject),
    g.round === null ? '<span class="muted">–</span>' : text(g.round),
    text(g.guard),
    pill(g.decision === 'hold' ? 'bad' : 'warn', g.decision),
    text(g.reason),
    time(g.time),
  ]),
  empty: 'No clip or hold recorded: every guard passed.',
})}
${table({
  caption: 'Open alerts, newest first',
  columns: ['severity', 'kind', 'message', 'time'],
  rows: s.alerts.map((a) => [pill(a.severity === 'critical' ? 'bad' : 'warn', a.severity), text(a.kind), text(a.message), time(a.time)]),
  empty: 'No open alert.',
})}
${driftPart(s.drift, charts.drift)}`,
  };
}

const dash = '<span class="muted">–</span>';
const ACTION_VALUES = [
  ['ltv', 'LTV', pct],
  ['liquidationThreshold', 'threshold', pct],
  ['liquidationBonus', 'bonus', bonusPct],
] as const;

/** A logged action's actor: an address (with what it is now) or who alone may emit the event. */
function actorCell(a: GuardianActionView): string {
  if (a.actor === null) return dash;
  return `${addressOr(a.actor)}${a.role ? ` <span class="sub">${text(a.role)}</span>` : ''}`;
}

const addressOr = (value: string) => (/^0x[0-9a-fA-F]{40}$/.test(value) ? hex(value, 4) : text(value));

/** The values an action put in force (a restore's), then its other arguments by name. */
function actionValues(a: GuardianActionView): string {
  const values = a.values
    ? ACTION_VALUES.map(
        ([key, label, fmt]) => `${text(label)} <span data-restored="${key}" data-bps="${a.values![key]}">${fmt(a.values![key])}</span>`,
      ).join(', ')
    : '';
  const details = a.details.map((d) => `<li>${text(d.name)}: ${addressOr(d.value)}</li>`).join('');
  if (!values && !details) return dash;
  return `${values}${details ? `<ul class="reasons">${details}</ul>` : ''}`;
}

function actionRow(a: GuardianActionView): string[] {
  return [
    time(a.time),
    `<span data-guardian-event="${text(a.event)}">${text(a.event)}</span><span class="sub stack">${text(a.contract)}</span>`,
    actorCell(a),
    a.asset === null ? dash : `<span data-field="asset">${a.symbol === null ? hex(a.asset, 4) : text(a.symbol)}</span>`,
    a.round === null ? dash : text(a.round),
    actionValues(a),
    text(a.blockNumber),
    hex(a.tx),
  ];
}

function guardian(s: DashboardSnapshot): Section {
  const g = s.guardian;
  const state = g.paused
    ? `${pill('bad', 'PAUSED')} <strong data-field="paused">paused</strong>: no round is published or applied until the DAO unpauses; meanwhile the guardian or the DAO may fall back an asset one step.`
    : `${pill('ok', 'publishing')} <strong data-field="paused">not paused</strong>.`;
  const fallBack = g.steward
    ? table({
        caption: 'What a fall-back would restore now, per asset (RiskSteward.previous)',
        columns: ['asset', 'oracle round', 'applied to Aave', 'a fall-back now', 'undoes', 'would restore LTV', 'threshold', 'bonus'],
        rows: g.fallBack.map((f) => [
          `<span data-fallback-asset="${text(f.symbol)}">${text(f.symbol)}</span>`,
          text(f.oracleRound),
          text(f.appliedRound),
          `<span data-fallback="next">${
            f.next === 'skip' ? `skips round ${text(f.oracleRound)} (Aave kept)` : f.next === 'restore' ? 'restores' : 'nothing to do'
          }</span>`,
          f.previous
            ? `round <span data-fallback="round">${text(f.previous.round)}</span>`
            : '<span class="muted" data-fallback="round">nothing to restore</span>',
          ...ACTION_VALUES.map(([key, , fmt]) =>
            f.previous ? `<span data-fallback="${key}" data-bps="${f.previous[key]}">${fmt(f.previous[key])}</span>` : dash,
          ),
        ]),
        empty: 'No reserve in the deployment.',
      })
    : '<p class="muted">The deployment names no RiskSteward: fall-backs are not read.</p>';
  return {
    id: 'guardian',
    title: 'Guardian and safety actions',
    html: `${h2('guardian', 'Guardian and safety actions')}<p>RiskOracle is ${state} The guardian ${hex(g.guardian, 4)} (or the DAO) may pause publishing; only the DAO (RiskOracle's owner ${hex(g.dao, 4)}) unpauses. While paused, either may fall back an asset one step${g.steward ? ` (RiskSteward ${hex(g.steward, 4)})` : ''}: a round published but not yet applied is skipped (Aave kept as it is), otherwise Aave gets back the parameters it had before the steward's last applied round; RiskOracle records what Aave then has as a new, unsigned round, and neither round is ever applied.</p>
${table({
  caption: 'Safety actions logged on-chain, newest first',
  columns: ['time', 'action', 'by', 'asset', 'round', 'values restored, other arguments', 'block', 'transaction'],
  rows: g.actions.map(actionRow),
  empty: 'No pause, unpause, guardian change or fall-back logged since the deployment.',
})}
${fallBack}`,
  };
}

function epochRow(e: EpochView, now: number): string[] {
  const status = e.invalidated ? pill('bad', 'invalidated') : e.status === 'published' ? pill('ok', 'published') : pill('warn', e.status);
  const window =
    e.closesAt === null
      ? '<span class="muted">–</span>'
      : `${time(e.closesAt)} <span class="sub">${e.invalidated ? 'closed by a challenge' : e.closesAt <= now ? 'final' : 'open'}</span>`;
  return [
    text(e.epoch),
    status,
    text(e.wallets),
    time(e.publishedAt),
    window,
    hex(e.root),
    hex(e.modelId),
    signerList(e.signers),
    gas(e.gasUsed),
    txCell(e.tx),
    verifyBadge(e.verify),
  ];
}

function credit(s: DashboardSnapshot, charts: DashboardCharts): Section {
  const d = s.credit.distribution;
  const stats: Array<[string, string]> = d
    ? [
        ['wallets', d.count.toLocaleString('en-US')],
        ['mean', d.mean.toFixed(1)],
        ['10th percentile', String(d.p10)],
        ['median', String(d.median)],
        ['90th percentile', String(d.p90)],
        ['range', `${d.min}–${d.max}`],
      ]
    : [];
  return {
    id: 'credit',
    title: 'Credit scores',
    html: `${h2('credit', 'Credit scores')}<p>CreditScoreRegistry's latest epoch: <strong data-field="latest-epoch">${text(s.credit.latestEpoch)}</strong>. Each epoch is a Merkle root over (wallet, score, PD, features hash), signed like the rounds and published with a bond; anyone may challenge a wrong score until its window closes.</p>
${
  d
    ? `<h3>Score distribution, epoch ${text(d.epoch)}</h3><dl class="figures small">${stats.map(([k, v]) => `<div><dt>${text(k)}</dt><dd>${text(v)}</dd></div>`).join('')}</dl>
<div class="charts">${figure(charts.scores, `Histogram of ${d.count} scores in epoch ${d.epoch}: median ${d.median}, 10th percentile ${d.p10}, 90th ${d.p90}`)}</div>`
    : '<p class="muted">No published epoch with its scores in this database.</p>'
}
${table({
  caption: 'Credit epochs, newest first',
  columns: ['epoch', 'status', 'wallets', 'published', 'challenge window', 'root', 'model', 'signers', 'gas', 'transaction', 'verify'],
  rows: s.credit.epochs.map((e) => epochRow(e, s.chain.head.timestamp)),
  empty: 'No credit epoch yet.',
})}
<p class="sub" data-field="failed-challenges">Only successful challenges are listed: a challenge that fails reverts on-chain (<code>CreditScoreRegistryChallengeFailed</code>) and leaves no event, so no failed challenge can be shown here.</p>
${table({
  caption: 'Challenges (invalidated epochs)',
  columns: ['epoch', 'wallet', 'published score', 'recomputed score', 'bond paid', 'challenger', 'transaction', 'time'],
  rows: s.credit.challenges.map((c) => [
    text(c.epoch),
    hex(c.wallet, 4),
    text(c.publishedScore),
    text(c.recomputedScore),
    `${text(formatEther(c.bondPaid))} ETH`,
    hex(c.challenger, 4),
    hex(c.tx),
    time(c.time),
  ]),
  empty: 'No challenge has succeeded: no epoch was invalidated.',
})}`,
  };
}

const metricCell = (v: number | undefined) =>
  v === undefined ? '<span class="muted">–</span>' : text(Number.isInteger(v) ? v : v.toFixed(4));

function registryStatus(status: string): string {
  const label: Record<string, [Parameters<typeof pill>[0], string]> = {
    Active: ['ok', 'active'],
    Candidate: ['warn', 'candidate (shadow)'],
    Disputed: ['bad', 'disputed'],
    Rejected: ['bad', 'rejected'],
  };
  const [kind, word] = label[status] ?? ['muted', status.toLowerCase()];
  return pill(kind, word);
}

function disputeCell(s: SubmissionView): string {
  if (s.disputes.length === 0) return '<span class="muted">none</span>';
  const items = s.disputes.map((d) => {
    const r = d.resolution;
    const outcome = !r
      ? pill('warn', 'awaiting the DAO')
      : r.upheld
        ? `${pill('bad', 'upheld')} <span class="sub">model rejected; ${eth(r.award)} to the disputer ${hex(r.winner, 4)}, ${time(r.time)}</span>`
        : `${pill('ok', 'not upheld')} <span class="sub">candidacy kept; ${eth(r.award)} to the submitter ${hex(r.winner, 4)}, ${time(r.time)}</span>`;
    return `<li data-field="dispute">by ${hex(d.disputer, 4)} with ${eth(d.bond)} bond, evidence ${hex(d.evidenceHash)}, ${time(d.time)}: ${outcome}</li>`;
  });
  return `<ul class="reasons wide">${items.join('')}</ul>`;
}

function submissions(list: SubmissionView[]): string {
  return table({
    caption: 'Bonded submissions and disputes (ModelRegistry events)',
    columns: [
      'model id',
      'registry now',
      'bond',
      'disputes and outcomes',
      'submitter',
      'claim (evaluation JSON hash) and snapshot',
      'submitted',
    ],
    rows: list.map((s) => [
      hex(s.modelId),
      `${registryStatus(s.status)}<span class="sub stack">${text(s.kind ?? 'unknown kind')}${s.index === null ? '' : ` #${text(s.index)}`}</span>`,
      `<span data-field="bond">${eth(s.bond)}</span>`,
      disputeCell(s),
      hex(s.submitter, 4),
      `${hex(s.claimHash)}<span class="sub stack">snapshot ${hex(s.snapshotId)}</span>`,
      `${time(s.time)}<span class="sub stack">tx ${hex(s.tx, 4)}</span>`,
    ]),
    empty: 'No model submitted with a bond yet (models the DAO registered itself carry no claim).',
  });
}

function shadowTable(list: ShadowView[]): string {
  return table({
    caption: 'Candidates in shadow beside the model in force: their newest comparison',
    columns: [
      'candidate',
      'rank correlation',
      'decision flips',
      'mean |Δscore|',
      'max |Δscore|',
      'mean PD (candidate / in force)',
      'wallets',
      'newest at (data time)',
      'against (in force then)',
      'registry now',
    ],
    rows: list.map((v) => {
      const p = v.points.at(-1)!;
      return [
        `${hex(v.modelId)}<span class="sub stack">compared ${text(v.total)} time${v.total === 1 ? '' : 's'}</span>`,
        `<span data-shadow="rank">${text(p.rankCorrelation.toFixed(4))}</span>`,
        `<span data-shadow="flips">${text(p.decisionFlips)}</span> <span class="sub stack">${text(((100 * p.decisionFlips) / Math.max(1, p.wallets)).toFixed(1))} % of wallets across ${text(p.cutoff)}</span>`,
        `<span data-shadow="mean-diff">${text(p.meanAbsScoreDiff.toFixed(2))}</span>`,
        text(p.maxAbsScoreDiff.toFixed(0)),
        `${text((p.meanPd * 100).toFixed(2))} % / ${text((p.referenceMeanPd * 100).toFixed(2))} %`,
        text(p.wallets),
        time(p.at),
        hex(p.referenceModelId),
        registryStatus(v.status),
      ];
    }),
    empty: 'No shadow result recorded yet: the daemon records one per candidate whose artifact it holds (model shadow).',
  });
}

/** A difference in basis points as signed percentage points: -25 → "−0.25 pp" (a minus sign, not a hyphen). */
const ppDiff = (bps: number): string => `${bps > 0 ? '+' : bps < 0 ? '−' : '±'}${(Math.abs(bps) / 100).toFixed(2)} pp`;

const COLLATERAL_PARAMS = [
  ['ltv', 'LTV', pct],
  ['liquidationThreshold', 'threshold', pct],
  ['liquidationBonus', 'bonus', bonusPct],
] as const;

/** The shadow's backtest in two cells (bad debt, mean LTV), or why there is none. */
function shadowBacktestCells(b: CollateralShadowView['newest']['backtest']): [string, string] {
  if (!b) return ['not run', 'not run'];
  if ('unavailable' in b) return [`<span class="sub">none: ${text(b.unavailable)}</span>`, '—'];
  const pair = (c: number, r: number, digits: number, unit: string) => `${text(c.toFixed(digits))} / ${text(r.toFixed(digits))}${unit}`;
  const days = `<span class="sub stack">${text(b.steps)} steps; reference: ${text(b.referenceBasis)}</span>`;
  return [
    `<span data-shadow="backtest-bad-debt">${pair(b.candidate.badDebtPct, b.reference.badDebtPct, 3, ' %')}</span>${days}`,
    `<span data-shadow="backtest-mean-ltv">${pair(b.candidate.meanLtv * 100, b.reference.meanLtv * 100, 1, ' %')}</span>`,
  ];
}

/** Every collateral candidate's newest comparison in a line, then per candidate both proposals per asset. */
function collateralShadowTables(list: CollateralShadowView[]): string {
  const overview = table({
    caption: 'Collateral candidates in shadow beside the model in force: their newest comparison',
    columns: [
      'candidate',
      'mean |Δ threshold|',
      'max |Δ threshold|',
      'mean |Δ LTV|',
      'assets',
      'newest at (data time)',
      'against (in force then)',
      'backtest, same window: bad debt, candidate / reference',
      'backtest: mean allowed LTV, candidate / reference',
      'registry now',
    ],
    rows: list.map(({ modelId, total, status, newest: r }) => [
      `${hex(modelId)}<span class="sub stack">compared ${text(total)} time${total === 1 ? '' : 's'}</span>`,
      `<span data-shadow="mean-lt-diff">${text((r.meanAbsLtDiff / 100).toFixed(2))} pp</span>`,
      `${text((r.maxAbsLtDiff / 100).toFixed(2))} pp`,
      `${text((r.meanAbsLtvDiff / 100).toFixed(2))} pp`,
      text(r.assets.length),
      time(r.at),
      hex(r.referenceModelId),
      ...shadowBacktestCells(r.backtest),
      registryStatus(status),
    ]),
    empty:
      'No collateral shadow result recorded yet: the daemon compares each collateral candidate whose artifact it holds (model shadow --kind collateral).',
  });
  const perCandidate = list.map(({ modelId, newest: r }) =>
    table({
      caption: `Collateral candidate ${modelId.slice(0, 10)}…${modelId.slice(-6)} per asset: in force, candidate, Δ (candidate − in force)`,
      columns: [
        'asset',
        ...COLLATERAL_PARAMS.flatMap(([, label]) => [`${label} in force`, `${label} candidate`, `Δ ${label}`]),
        "candidate's predicted adverse move",
      ],
      rows: r.assets.map((a) => [
        `<span data-collateral-asset="${text(a.symbol)}">${text(a.symbol)}</span>`,
        ...COLLATERAL_PARAMS.flatMap(([key, , fmt]) => [
          `<span data-collateral="${key}-in-force" data-bps="${a.reference[key]}">${fmt(a.reference[key])}</span>`,
          `<span data-collateral="${key}-candidate" data-bps="${a.proposed[key]}">${fmt(a.proposed[key])}</span>`,
          `<span data-collateral="${key}-diff" data-bps="${a.diff[key]}">${ppDiff(a.diff[key])}</span>`,
        ]),
        `${text((a.predictedMove * 100).toFixed(1))} %`,
      ]),
      empty: `Collateral candidate ${modelId}: no asset it could propose for at ${new Date(r.at * 1000).toISOString()}.`,
    }),
  );
  return [overview, ...perCandidate].join('\n');
}

/** The collateral candidates' comparisons over time: Δ threshold, and the backtests' bad debt where recorded. */
function collateralShadowCharts(list: CollateralShadowView[], charts: DashboardCharts): string {
  const c = charts.collateralShadow;
  if (!c || list.length === 0) return '';
  const newest = (f: (v: CollateralShadowView) => string) => list.map((v) => `${v.modelId.slice(0, 10)}… ${f(v)}`).join(', ');
  const debt = (v: CollateralShadowView) => {
    const b = [...v.points].reverse().find((p) => p.badDebtPct)?.badDebtPct;
    return b ? `${b.candidate.toFixed(3)} % against ${b.reference.toFixed(3)} %` : 'no backtest';
  };
  return `<div class="charts">${figure(
    c.threshold,
    `Mean absolute difference in liquidation threshold from the model in force over time, per candidate, in basis points; newest: ${newest((v) => `${v.newest.meanAbsLtDiff.toFixed(0)} bps`)}`,
  )}${figure(c.badDebt, `Shadow backtest bad debt over time, candidate (solid) against the reference (dashed); newest: ${newest(debt)}`)}</div>`;
}

function models(s: DashboardSnapshot, charts: DashboardCharts): Section {
  const { models: list, active, shadow } = s.models;
  const comparisons = (['credit', 'collateral'] as const)
    .map((kind) => {
      const withMetrics = list.filter((m) => m.kind === kind && Object.keys(m.metrics).length > 0);
      if (withMetrics.length < 2) return '';
      const names = [...new Set(withMetrics.flatMap((m) => Object.keys(m.metrics)))].sort();
      return table({
        caption: `${kind} models side by side`,
        columns: ['metric', ...withMetrics.map((m) => `${m.modelId.slice(0, 10)}… (${m.inForce.length ? 'in force' : m.status})`)],
        rows: names.map((n) => [text(n), ...withMetrics.map((m) => metricCell(m.metrics[n]))]),
        empty: '',
      });
    })
    .join('');
  const inForce = (id: string | null, kind: string) =>
    id ? `<span data-active="${kind}">${hex(id)}</span>` : `<span class="muted" data-active="${kind}">none</span>`;
  const newest = shadow.map((v) => v.points.at(-1)!);
  return {
    id: 'models',
    title: 'Models',
    html: `${h2('models', 'Models')}<p>The models the DAO registered in ModelRegistry and the ones actually in use: the collateral model whose id RiskOracle's publications carry, the credit model of the newest valid epoch. A model id is the keccak256 of its artifact, so anyone can fetch the artifact and re-derive its outputs.</p>
<p>In force by the DAO's vote (<code>ModelRegistry.activeModel</code>): credit ${inForce(active.credit, 'credit')}, collateral ${inForce(active.collateral, 'collateral')}.</p>
${table({
  caption: 'Models per kind',
  columns: ['kind', 'model id', 'registry', 'in force', 'metrics'],
  rows: list.map((m) => [
    text(m.kind),
    hex(m.modelId),
    `${registryStatus(m.status)}${m.index === null ? '' : ` <span class="sub">#${text(m.index)}</span>`}`,
    m.inForce.length ? m.inForce.map(text).join('; ') : '<span class="muted">not in use</span>',
    Object.keys(m.metrics).length
      ? Object.entries(m.metrics)
          .map(([k, v]) => `${text(k)} ${metricCell(v)}`)
          .join(', ')
      : '<span class="muted">none in this database</span>',
  ]),
  empty: 'No model registered or in use yet.',
})}${comparisons}
<h3>Submissions and disputes</h3>
<p>Anyone may submit a model with a bond and a claim: the hash of the evaluation JSON that <code>risk-oracle evaluate</code> gives on a public snapshot. Anyone who cannot reproduce the claim may dispute it with a bond; the DAO decides, and the winner takes both bonds.</p>
${submissions(s.models.submissions)}
<h3>Shadow results: credit</h3>
<p>Each credit candidate whose artifact the oracle holds is scored beside the model in force on the same wallets at the same time, never published: how alike they order wallets (Spearman rank correlation, 1 = the same order), how far their scores are apart, and how many wallets a lender's yes-or-no at the cutoff would flip.</p>
${shadowTable(shadow)}
${
  shadow.length
    ? `<div class="charts">${figure(
        charts.shadow?.rank,
        `Rank correlation with the model in force over time, per candidate; newest: ${newest.map((p) => `${p.modelId.slice(0, 10)}… ${p.rankCorrelation.toFixed(4)}`).join(', ')}`,
      )}${figure(
        charts.shadow?.flips,
        `Decision flips at the cutoff over time, per candidate; newest: ${newest.map((p) => `${p.modelId.slice(0, 10)}… ${p.decisionFlips} of ${p.wallets}`).join(', ')}`,
      )}</div>`
    : ''
}
<h3>Shadow results: collateral</h3>
<p>Each collateral candidate whose artifact the oracle holds proposes parameters from the same indexed prices at the same time as the collateral model in force (the empirical-quantile spec while the DAO has put none in force), never published: both proposals per asset before the oracle's guards, and the candidate's difference in percentage points. These are proposals, not the parameters on-chain (see Parameters).</p>
${collateralShadowTables(s.models.collateralShadow)}
${collateralShadowCharts(s.models.collateralShadow, charts)}`,
  };
}

function health(s: DashboardSnapshot): Section {
  const h = s.health;
  const lag = h.lagBlocks === null ? 'nothing indexed yet' : `${h.lagBlocks} block(s) (limit ${h.maxLagBlocks})`;
  const facts: Array<[string, string]> = [
    ['status', h.healthy ? pill('ok', 'healthy') : pill('bad', 'unhealthy')],
    ['chain head', `<span data-field="head">${text(s.chain.head.number)}</span> at ${time(s.chain.head.timestamp)}`],
    [
      'indexed block',
      h.indexedBlock === null ? '<span class="muted">none</span>' : `<span data-field="indexed">${text(h.indexedBlock)}</span>`,
    ],
    ['indexer lag', `<span data-field="lag">${text(lag)}</span>`],
  ];
  return {
    id: 'health',
    title: 'Health',
    html: `${h2('health', 'Health')}<dl class="facts">${facts.map(([k, v]) => `<div><dt>${text(k)}</dt><dd>${v}</dd></div>`).join('')}</dl>
${h.problems.length ? `<ul class="reasons">${h.problems.map((p) => `<li>${pill('bad', 'problem')} ${text(p)}</li>`).join('')}</ul>` : ''}
${table({
  caption: 'Newest price the model can read, per asset',
  columns: ['asset', 'source', 'newest price', 'age at the head'],
  rows: h.prices.map((p) => [
    text(p.symbol),
    text(p.source),
    time(p.latest),
    p.ageSeconds === null ? '<span class="muted">–</span>' : text(duration(p.ageSeconds)),
  ]),
  empty: 'No reserve.',
})}
${
  h.nextRuns
    ? table({
        caption: 'Next scheduled runs of the daemon',
        columns: ['job', 'next run'],
        rows: Object.entries(h.nextRuns).map(([job, at]) => [text(job), text(at)]),
        empty: 'No job scheduled.',
      })
    : '<p class="sub">Served by <code>risk-oracle dashboard</code> on its own: the daemon\'s schedules and figures show when it serves this page (<code>risk-oracle run</code>).</p>'
}
${h.metrics ? table({ caption: 'Daemon figures (from /metrics)', columns: ['metric', 'value', 'meaning'], rows: h.metrics.map((m) => [text(m.name), text(m.value), text(m.help)]), empty: 'No figure yet.' }) : ''}`,
  };
}

/** Every section of the page, in order (the wallet lookup is static and not among them: `page.ts`). */
export function renderSections(s: DashboardSnapshot, charts: DashboardCharts): Section[] {
  return [summary(s), parameters(s, charts), rounds(s), guards(s, charts), guardian(s), credit(s, charts), models(s, charts), health(s)];
}
