import { hex, text } from './html';
import type { Section } from './sections';

/**
 * The page shell: inline CSS, the static wallet lookup, and one small inline script that polls for changed
 * sections and runs the lookup. Nothing is loaded from anywhere else (the page works without internet, and its
 * Content-Security-Policy forbids it).
 */

const CSS = `
:root{--fg:#1b1f24;--muted:#4a5560;--bg:#f4f5f7;--card:#fff;--line:#d3d9df;--accent:#14213d;--ok:#0a6b2d;--okbg:#e3f5e8;--bad:#a1141c;--badbg:#fde8e8;--warn:#6e4400;--warnbg:#fff1d1;--focus:#1d4ed8}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0}
.skip{position:absolute;left:-9999px;top:0}.skip:focus{left:8px;top:8px;background:#fff;color:#000;padding:8px 12px;z-index:10;border-radius:6px}
header{background:var(--accent);color:#fff;padding:16px 24px}header h1{margin:0;font-size:24px}header p{margin:4px 0 0}
header code{color:#fff}header a{color:#fff}
nav ul{list-style:none;margin:8px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px}nav a{font-size:14px}
.live{font-size:13px;margin-top:6px;opacity:.95}
main{max-width:1240px;margin:0 auto;padding:16px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin-bottom:16px;min-width:0}
h2{font-size:20px;margin:0 0 8px}h3{font-size:17px;margin:12px 0 6px}
p{margin:0 0 10px}.sub{color:var(--muted);font-size:13px}.muted{color:var(--muted)}
.asset{border-top:1px solid var(--line);padding-top:8px;margin-top:12px}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,180px),1fr));gap:10px;margin:0}
.figures div{border:1px solid var(--line);border-radius:8px;padding:8px 12px}.figures dt{color:var(--muted);font-size:13px}.figures dd{margin:0;font-size:18px;font-weight:600}
.figures.small dd{font-size:16px}.figures .sub{display:block;font-weight:400}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0 0 10px}.facts div{display:contents}.facts dt{color:var(--muted)}.facts dd{margin:0;word-break:break-all}
.charts{display:flex;flex-wrap:wrap;gap:12px;margin-top:8px}.charts figure{margin:0;flex:1 1 360px;min-width:0}
svg{max-width:100%;height:auto;display:block}
.scroll{overflow-x:auto;margin:6px 0 10px;max-width:100%}
table{border-collapse:collapse;font-size:14px;width:100%}caption{text-align:left;font-weight:600;padding:4px 0;color:var(--fg)}
th,td{border-bottom:1px solid #e3e7eb;padding:5px 8px;text-align:left;vertical-align:top;white-space:nowrap}
thead th{color:var(--muted);font-weight:600}
td:last-child{white-space:normal;min-width:12em}.list{white-space:normal;display:inline-block;min-width:9em}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.pill{display:inline-block;border-radius:999px;padding:0 8px;font-size:13px;font-weight:600;white-space:nowrap}
.ok{color:var(--ok);background:var(--okbg)}.bad{color:var(--bad);background:var(--badbg)}.warn{color:var(--warn);background:var(--warnbg)}.pill.muted{background:#eceff2}
.reasons{margin:4px 0 8px;padding-left:18px;white-space:normal}
.stack{display:block}.wide{min-width:24em;white-space:normal}
a{color:#1d3f99}:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
form .row{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
label{display:block;font-weight:600;margin-bottom:4px}
input{font:inherit;font-family:ui-monospace,Menlo,Consolas,monospace;padding:8px 10px;border:1px solid #5f6a75;border-radius:6px;flex:1 1 28em;min-width:0;max-width:100%}
input[aria-invalid=true]{border-color:var(--bad);border-width:2px}
button{font:inherit;font-weight:600;padding:8px 16px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
.error{color:var(--bad);font-weight:600}
#wallet-result{margin-top:10px}#wallet-result pre{white-space:pre-wrap;word-break:break-all;font-size:12px;background:#f4f5f7;padding:8px;border-radius:6px}
@media (max-width:640px){body{font-size:14px}header{padding:12px 14px}main{padding:8px}section{padding:10px 12px}h2{font-size:18px}.facts{grid-template-columns:1fr}.facts dd{margin-bottom:6px}th,td{white-space:normal;padding:4px 6px}caption{white-space:normal}}
`;

/** Polls for changed sections and runs the wallet lookup; data is only ever set as text (never as markup). */
const SCRIPT = `(function () {
  'use strict';
  var body = document.body;
  var poll = Number(body.getAttribute('data-poll-ms')) || 5000;
  var live = document.getElementById('live-status');
  var checked = document.getElementById('live-checked');
  var failing = false;
  function when(seconds) { return new Date(seconds * 1000).toISOString().slice(11, 19) + ' UTC'; }
  function tick() {
    var have = Array.prototype.map.call(document.querySelectorAll('section[data-hash]'), function (s) {
      return s.id + '.' + s.getAttribute('data-hash');
    }).join(',');
    fetch('api/dashboard/sections?have=' + encodeURIComponent(have), { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (!res.ok) throw new Error(data.error || 'HTTP ' + res.status);
          return data;
        });
      })
      .then(function (data) {
        var changed = [];
        data.sections.forEach(function (s) {
          var el = document.getElementById(s.id);
          if (!el) return;
          el.innerHTML = s.html;
          el.setAttribute('data-hash', s.hash);
          // health moves with every block: updated on the page, not announced
          if (s.id !== 'health') changed.push(s.title);
        });
        body.setAttribute('data-version', data.version);
        checked.textContent = 'Last checked ' + when(data.generatedAt) + '.';
        if (changed.length) live.textContent = 'Updated at ' + when(data.generatedAt) + ': ' + changed.join(', ') + '.';
        else if (failing) live.textContent = 'Live updates resumed.';
        failing = false;
      })
      .catch(function (err) {
        failing = true;
        live.textContent = 'Live updates paused (' + err.message + '); retrying.';
      })
      .then(function () { setTimeout(tick, poll); });
  }
  setTimeout(tick, poll);

  var form = document.getElementById('lookup-form');
  var input = document.getElementById('wallet');
  var out = document.getElementById('wallet-result');
  var ADDRESS = /^0x[0-9a-fA-F]{40}$/;
  function say(message, invalid) {
    out.textContent = '';
    var p = document.createElement('p');
    p.textContent = message;
    if (invalid) p.className = 'error';
    out.appendChild(p);
    input.setAttribute('aria-invalid', invalid ? 'true' : 'false');
  }
  function fact(dl, name, value) {
    var div = document.createElement('div');
    var dt = document.createElement('dt');
    var dd = document.createElement('dd');
    dt.textContent = name;
    dd.textContent = String(value);
    dd.setAttribute('data-field', name);
    div.appendChild(dt);
    div.appendChild(dd);
    dl.appendChild(div);
  }
  function pd(wad) {
    var s = String(wad).padStart(19, '0');
    var whole = s.slice(0, s.length - 16).replace(/^0+(?=\\d)/, '');
    return whole + '.' + s.slice(s.length - 16, s.length - 12) + ' %';
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var wallet = input.value.trim();
    if (!ADDRESS.test(wallet)) {
      say(wallet
        ? 'Not a wallet address: "' + wallet.slice(0, 60) + '" has ' + wallet.length + ' characters; expected 0x followed by 40 hexadecimal characters (0-9, a-f).'
        : 'Enter a wallet address: 0x followed by 40 hexadecimal characters.', true);
      input.focus();
      return;
    }
    say('Looking up ' + wallet + '…', false);
    fetch('score/' + encodeURIComponent(wallet), { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) { return { status: res.status, data: data }; });
      })
      .then(function (r) {
        if (r.status !== 200) {
          say(r.data.error || 'The lookup failed: HTTP ' + r.status, r.status === 400);
          return;
        }
        var a = r.data;
        out.textContent = '';
        var dl = document.createElement('dl');
        dl.className = 'facts';
        fact(dl, 'wallet', a.wallet);
        fact(dl, 'score', a.score);
        fact(dl, 'PD', pd(a.pd) + ' (' + a.pd + ' WAD)');
        fact(dl, 'epoch', a.epoch);
        fact(dl, 'model', a.modelId);
        fact(dl, 'root', a.root);
        fact(dl, 'features hash', a.featuresHash);
        out.appendChild(dl);
        var details = document.createElement('details');
        var summary = document.createElement('summary');
        summary.textContent = 'Merkle proof (' + a.proof.length + ' hashes) for CreditScoreRegistry.prove or verifyScore';
        var pre = document.createElement('pre');
        pre.textContent = JSON.stringify(a.proof, null, 1);
        details.appendChild(summary);
        details.appendChild(pre);
        out.appendChild(details);
      })
      .catch(function (err) { say('The lookup failed: ' + err.message, false); });
  });
})();`;

function lookup(): string {
  return `<section id="lookup" aria-labelledby="lookup-h"><h2 id="lookup-h">Wallet lookup</h2>
<p>A wallet's score, probability of default, epoch and Merkle proof in the newest published epoch that holds it: the daemon's <code>GET /score/:wallet</code>, ready for <code>CreditScoreRegistry.prove</code> or <code>verifyScore</code>.</p>
<form id="lookup-form" action="#lookup" novalidate>
<label for="wallet">Wallet address</label>
<div class="row"><input id="wallet" name="wallet" type="text" autocomplete="off" autocapitalize="off" spellcheck="false" placeholder="0x…" aria-describedby="wallet-help"><button type="submit">Look up</button></div>
<p id="wallet-help" class="sub">0x followed by 40 hexadecimal characters.</p>
<noscript><p>The lookup needs JavaScript; without it, open <code>/score/ADDRESS</code>.</p></noscript>
<div id="wallet-result" role="status" aria-live="polite"></div>
</form></section>`;
}

export interface PageOptions {
  chainId: number;
  riskOracle: string;
  sections: Array<Section & { hash: string }>;
  version: string;
  generatedAt: number;
  pollMs: number;
  /** The Content-Security-Policy nonce that lets the inline script run. */
  nonce: string;
}

/** The whole page: header, navigation, the sections (the lookup after the credit section) and the script. */
export function renderPage(o: PageOptions): string {
  const blocks = o.sections.map(
    (s) => `<section id="${text(s.id)}" aria-labelledby="${text(s.id)}-h" data-hash="${text(s.hash)}">${s.html}</section>`,
  );
  const at = o.sections.findIndex((s) => s.id === 'credit');
  blocks.splice(at < 0 ? blocks.length : at + 1, 0, lookup());
  const nav = [...o.sections.map((s) => ({ id: s.id, title: s.title }))];
  nav.splice(at < 0 ? nav.length : at + 1, 0, { id: 'lookup', title: 'Wallet lookup' });
  const updated = new Date(o.generatedAt * 1000).toISOString().slice(11, 19);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>risk-oracle dashboard · chain ${text(o.chainId)}</title><style>${CSS}</style></head>
<body data-poll-ms="${text(o.pollMs)}" data-version="${text(o.version)}">
<a class="skip" href="#main">Skip to the content</a>
<header><h1>risk-oracle dashboard</h1>
<p>Chain ${text(o.chainId)} · RiskOracle ${hex(o.riskOracle)} · read-only: nothing on this page can sign or send.</p>
<nav aria-label="Sections"><ul>${nav.map((n) => `<li><a href="#${text(n.id)}">${text(n.title)}</a></li>`).join('')}</ul></nav>
<p class="live"><span id="live-checked">Last checked ${text(updated)} UTC.</span> <span id="live-status" role="status" aria-live="polite"></span></p></header>
<main id="main" tabindex="-1">
${blocks.join('\n')}
</main>
<script nonce="${text(o.nonce)}">${SCRIPT}</script>
</body></html>
`;
}
