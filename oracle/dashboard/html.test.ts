import { bonusPct, duration, escapeHtml, figure, hex, pct, pill, table, time, verifyBadge } from './html';

describe('dashboard HTML helpers', () => {
  it('escapes markup, quotes and ampersands', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  });

  it('formats Aave units: bps as percentages, the bonus above 100 %', () => {
    expect(pct(7_500)).toBe('75.00 %');
    expect(pct(8_125)).toBe('81.25 %');
    expect(bonusPct(10_500)).toBe('5.00 %');
    expect(bonusPct(10_000)).toBe('0.00 %');
  });

  it('shortens long hex with the whole value in a title, and leaves short values whole', () => {
    const tx = `0x${'ab'.repeat(32)}`;
    expect(hex(tx)).toBe(`<code title="${tx}">0xababab…ababab</code>`);
    expect(hex('0x1234')).toBe('<code>0x1234</code>');
    expect(hex('0x<b>"evil"</b>00000000000000000000')).not.toMatch(/<b>|"evil"/);
  });

  it('writes times as UTC in <time> elements and durations in words', () => {
    expect(time(1_750_000_000)).toBe('<time datetime="2025-06-15T15:06:40.000Z">2025-06-15 15:06:40 UTC</time>');
    expect(time(null)).toContain('–');
    expect([duration(45), duration(720), duration(3_600 + 300), duration(2 * 86_400 + 4 * 3_600)]).toEqual([
      '45 s',
      '12 min',
      '1 h 05 min',
      '2 d 4 h',
    ]);
  });

  it('never says a status with colour alone', () => {
    expect(pill('ok', 'verified')).toMatch(/✓.*verified/);
    expect(pill('bad', '<x>')).toContain('&lt;x&gt;');
    expect(verifyBadge({ state: 'verified' })).toContain('re-derived bit for bit');
    expect(verifyBadge({ state: 'mismatch', fields: ['ltv: published 1, derived <2>'] })).toMatch(
      /MISMATCH.*<li>ltv: published 1, derived &lt;2&gt;<\/li>/,
    );
    expect(verifyBadge({ state: 'unknown', reason: 'not checked yet' })).toContain('not verified');
  });

  it('puts tables in a labelled, focusable scroll region with row and column headers, or says why there is none', () => {
    const html = table({ caption: 'Rounds <1>', columns: ['asset', 'round'], rows: [['WETH', '1']], empty: 'none' });
    expect(html).toContain('role="region" tabindex="0" aria-label="Rounds &lt;1&gt;"');
    expect(html).toContain('<caption>Rounds &lt;1&gt;</caption>');
    expect(html).toContain('<th scope="col">asset</th>');
    expect(html).toContain('<th scope="row">WETH</th><td>1</td>');
    expect(table({ caption: 'x', columns: ['a'], rows: [], empty: 'No round <yet>.' })).toBe('<p class="muted">No round &lt;yet&gt;.</p>');
  });

  it('gives every chart a text alternative', () => {
    expect(figure('<svg></svg>', 'WETH "price"', 'from CSV')).toBe(
      '<figure><div role="img" aria-label="WETH &quot;price&quot;"><svg></svg></div><figcaption>from CSV</figcaption></figure>',
    );
    expect(figure(undefined, 'nothing')).toBe('');
  });
});
