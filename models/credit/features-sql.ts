import { sql, type Kysely } from 'kysely';
import type { Database } from '../../core/schema';
import { CREDIT_FEATURE_COUNT, HF_CAP, REFERENCE_LTV } from './features';

export interface Observation {
  wallet: string;
  /** Unix seconds: features read history strictly before t. */
  t: number;
}

const DAY = 86_400;
const VOL_WINDOW = 7 * DAY;

interface FeatureRow {
  i: number;
  age_days: number | null;
  days_since_last: number | null;
  active_days: number | null;
  n_supply: number | null;
  n_borrow: number | null;
  n_repay: number | null;
  n_withdraw: number | null;
  n_liquidation: number | null;
  supply_usd: number | null;
  borrow_usd: number | null;
  repay_usd: number | null;
  withdraw_usd: number | null;
  mean_u: number | null;
  max_u: number | null;
  mean_logit: number | null;
  min_hf: number | null;
  below: number | null;
  current_hf: number | null;
  current_u: number | null;
  distinct_assets: number | null;
  vol_supplies: number | null;
  stable_borrow_usd: number | null;
  open_usd: number | null;
  open_volatile_usd: number | null;
  vol: number | null;
}

/**
 * The credit features of `creditFeatures` (models/credit/features.ts) computed in Postgres from the indexed
 * tables: `lending_events`, `health_factors`, `price_points` and `assets`. Same definitions, same order; float8
 * arithmetic as in JavaScript, so results agree up to the order of summation. One query for all observations.
 * Prices come from one `price_points` source (default `chainlink`, what the RPC indexer writes), so each lookup
 * is one backward scan of the primary key.
 */
export async function creditFeaturesSql(
  db: Kysely<Database>,
  chainId: number,
  observations: readonly Observation[],
  options: { priceSource?: string } = {},
): Promise<Float64Array[]> {
  if (observations.length === 0) return [];
  const priceSource = options.priceSource ?? 'chainlink';
  const obs = JSON.stringify(observations.map((o, i) => ({ i, wallet: o.wallet, t: o.t })));
  const ltv = REFERENCE_LTV;
  const { rows } = await sql<FeatureRow>`
    with obs as (
      select i, wallet, t from jsonb_to_recordset(${obs}::jsonb) as o(i int, wallet text, t bigint)
    ),
    ev as (
      select o.i, o.t, e.timestamp, e.block_number, e.kind, e.reserve, a.kind = 'stable' as stable,
             (e.amount / power(10::numeric, a.decimals))::float8 as units,
             (e.liquidated_collateral_amount / power(10::numeric, a.decimals))::float8 as seized,
             (select p.price_usd::float8 from price_points p
               where p.chain_id = e.chain_id and p.asset = e.reserve and p.source = ${priceSource} and p.timestamp <= e.timestamp
               order by p.timestamp desc limit 1) as price
      from obs o
      join lending_events e on e.chain_id = ${chainId} and e.user_address = o.wallet and e.timestamp < o.t
      join assets a on a.chain_id = e.chain_id and a.address = e.reserve
    ),
    agg as (
      select i,
             (max(t) - min(timestamp))::float8 / ${sql.lit(DAY)} as age_days,
             (max(t) - max(timestamp))::float8 / ${sql.lit(DAY)} as days_since_last,
             count(distinct timestamp / ${sql.lit(DAY)}) as active_days,
             count(*) filter (where kind = 'supply') as n_supply,
             count(*) filter (where kind = 'borrow') as n_borrow,
             count(*) filter (where kind = 'repay') as n_repay,
             count(*) filter (where kind = 'withdraw') as n_withdraw,
             count(*) filter (where kind = 'liquidation') as n_liquidation,
             coalesce(sum(units * price) filter (where kind = 'supply'), 0) as supply_usd,
             coalesce(sum(units * price) filter (where kind = 'borrow'), 0) as borrow_usd,
             coalesce(sum(units * price) filter (where kind = 'repay'), 0) as repay_usd,
             coalesce(sum(units * price) filter (where kind = 'withdraw'), 0) as withdraw_usd,
             count(distinct reserve) as distinct_assets,
             count(*) filter (where kind = 'supply' and not stable) as vol_supplies,
             coalesce(sum(units * price) filter (where kind = 'borrow' and stable), 0) as stable_borrow_usd
      from ev group by i
    ),
    open as (
      select i, t, reserve, stable,
             sum(case kind when 'supply' then units when 'withdraw' then -units when 'liquidation' then -coalesce(seized, 0) else 0 end) as units
      from ev where kind in ('supply', 'withdraw', 'liquidation')
      group by i, t, reserve, stable
    ),
    -- one price lookup per (asset, time), shared by every wallet scored then
    open_price as materialized (
      select k.reserve, k.t,
             (select p.price_usd::float8 from price_points p
               where p.chain_id = ${chainId} and p.asset = k.reserve and p.source = ${priceSource} and p.timestamp <= k.t - 1
               order by p.timestamp desc limit 1) as price
      from (select distinct reserve, t from open where units > 1e-9) k
    ),
    open_priced as (
      select o.i, o.t, o.reserve, o.stable, o.units * k.price as usd
      from open o join open_price k on k.reserve = o.reserve and k.t = o.t
      where o.units > 1e-9
    ),
    open_agg as (
      select i, t,
             sum(usd) as open_usd,
             coalesce(sum(usd) filter (where not stable), 0) as open_volatile_usd,
             (array_agg(reserve order by usd desc, reserve asc) filter (where usd > 0))[1] as largest
      from open_priced group by i, t
    ),
    -- one volatility per (asset, time), not per wallet: an epoch scores every wallet at one time, so thousands of
    -- wallets share a handful of them. Materialised: inlined, Postgres may run the window once per row of the outer
    -- join (a nested loop over wallets × wallets, minutes for 2,000 wallets)
    vol_keys as materialized (
      select distinct largest, t from open_agg where largest is not null
    ),
    vol_by_key as materialized (
      select oa.largest, oa.t, (
        select case when count(r.ret) < 2 or sum(r.dt) <= 0 then 0 else sqrt(sum(r.ret * r.ret) / sum(r.dt) * 3600) end from (
          select p.timestamp, ln(p.price_usd::float8 / lag(p.price_usd::float8) over (order by p.timestamp)) as ret,
                 (p.timestamp - lag(p.timestamp) over (order by p.timestamp))::float8 as dt
          from price_points p
          where p.chain_id = ${chainId} and p.asset = oa.largest and p.source = ${priceSource} and p.timestamp < oa.t
            and p.timestamp >= coalesce((select max(q.timestamp) from price_points q
                                          where q.chain_id = ${chainId} and q.asset = oa.largest and q.source = ${priceSource} and q.timestamp < oa.t - ${sql.lit(VOL_WINDOW)}),
                                         oa.t - ${sql.lit(VOL_WINDOW)})
        ) r where r.timestamp >= oa.t - ${sql.lit(VOL_WINDOW)}
      ) as vol
      from vol_keys oa
    ),
    vol as (
      select oa.i, k.vol from open_agg oa join vol_by_key k on k.largest = oa.largest and k.t = oa.t
    ),
    hf as (
      select o.i, h.block_number, h.debt_usd::float8 as d,
             case when h.collateral_usd::float8 > 0 then h.debt_usd::float8 / (h.collateral_usd::float8 * ${sql.lit(ltv)}::float8) else 0 end as u,
             least(coalesce(h.health_factor::float8, ${sql.lit(HF_CAP)}), ${sql.lit(HF_CAP)}) as hfc,
             exists (select 1 from lending_events e
                      where e.chain_id = ${chainId} and e.user_address = o.wallet and e.block_number = h.block_number
                        and e.kind = 'borrow' and e.timestamp < o.t) as borrow_block
      from obs o join health_factors h on h.chain_id = ${chainId} and h.wallet = o.wallet and h.timestamp < o.t
    ),
    hf_clamped as (
      select *, least(greatest(u, 1e-6), 1 - 1e-6) as uc from hf
    ),
    hf_agg as (
      select i,
             avg(u) filter (where d > 0) as mean_u,
             max(u) filter (where d > 0) as max_u,
             avg(ln(uc / (1 - uc))) filter (where borrow_block) as mean_logit,
             min(hfc) as min_hf,
             count(*) filter (where hfc < 1.1) as below,
             (array_agg(hfc order by block_number desc))[1] as current_hf,
             (array_agg(u order by block_number desc))[1] as current_u
      from hf_clamped group by i
    )
    select obs.i, agg.age_days, agg.days_since_last, agg.active_days, agg.n_supply, agg.n_borrow, agg.n_repay, agg.n_withdraw,
           agg.n_liquidation, agg.supply_usd, agg.borrow_usd, agg.repay_usd, agg.withdraw_usd, hf_agg.mean_u, hf_agg.max_u,
           hf_agg.mean_logit, hf_agg.min_hf, hf_agg.below, hf_agg.current_hf, hf_agg.current_u, agg.distinct_assets,
           agg.vol_supplies, agg.stable_borrow_usd, open_agg.open_usd, open_agg.open_volatile_usd, vol.vol
    from obs
    left join agg on agg.i = obs.i
    left join hf_agg on hf_agg.i = obs.i
    left join open_agg on open_agg.i = obs.i
    left join vol on vol.i = obs.i
    order by obs.i
  `.execute(db);
  return rows.map((r) => {
    const n = (v: number | string | null | undefined, fallback = 0): number => (v === null || v === undefined ? fallback : Number(v));
    const supply = n(r.n_supply);
    const borrowUsd = n(r.borrow_usd);
    const openUsd = n(r.open_usd);
    const out = Float64Array.from([
      n(r.age_days),
      n(r.days_since_last),
      n(r.active_days),
      supply,
      n(r.n_borrow),
      n(r.n_repay),
      n(r.n_withdraw),
      n(r.n_liquidation),
      Math.log1p(n(r.supply_usd)),
      Math.log1p(borrowUsd),
      Math.log1p(n(r.repay_usd)),
      Math.log1p(n(r.withdraw_usd)),
      borrowUsd > 0 ? n(r.repay_usd) / borrowUsd : 0,
      n(r.mean_u),
      n(r.max_u),
      n(r.mean_logit),
      n(r.min_hf, HF_CAP),
      n(r.below),
      n(r.current_hf, HF_CAP),
      n(r.current_u),
      n(r.distinct_assets),
      supply > 0 ? n(r.vol_supplies) / supply : 0,
      borrowUsd > 0 ? n(r.stable_borrow_usd) / borrowUsd : 0,
      openUsd > 0 ? n(r.open_volatile_usd) / openUsd : 0,
      n(r.vol),
    ]);
    if (out.length !== CREDIT_FEATURE_COUNT) throw new Error(`SQL features: ${out.length} values for ${CREDIT_FEATURE_COUNT} features`);
    return out;
  });
}

/** Labels in SQL: a liquidation of the wallet, or a health factor below 1, within (t, t + horizon]. */
export async function creditLabelsSql(
  db: Kysely<Database>,
  chainId: number,
  observations: readonly Observation[],
  horizonSeconds: number,
): Promise<Uint8Array> {
  if (observations.length === 0) return new Uint8Array(0);
  const obs = JSON.stringify(observations.map((o, i) => ({ i, wallet: o.wallet, t: o.t })));
  const { rows } = await sql<{ i: number; label: boolean }>`
    select o.i,
           exists (select 1 from lending_events e where e.chain_id = ${chainId} and e.user_address = o.wallet and e.kind = 'liquidation'
                     and e.timestamp > o.t and e.timestamp <= o.t + ${sql.lit(horizonSeconds)})
        or exists (select 1 from health_factors h where h.chain_id = ${chainId} and h.wallet = o.wallet and h.health_factor < 1
                     and h.timestamp > o.t and h.timestamp <= o.t + ${sql.lit(horizonSeconds)}) as label
    from jsonb_to_recordset(${obs}::jsonb) as o(i int, wallet text, t bigint)
    order by o.i
  `.execute(db);
  return Uint8Array.from(rows, (r) => (r.label ? 1 : 0));
}
