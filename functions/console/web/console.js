// The sale console: a plain client of the admin API and of GET
// /console/totals. It polls at most two requests every two seconds, and three
// more every ten, per open console.
'use strict';

const TOKEN_KEY = 'seckill.console.token';
const TICK_MS = 2000;
const SLOW_EVERY = 5; // ticks between reads of pending orders and the audit trail
const WINDOW = 150; // samples kept: five minutes at one every two seconds

const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem(TOKEN_KEY) || '';

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  el.append(...children.map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return el;
}

class APIError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + token() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const e = data.error || {};
    if (resp.status === 401) signOut('The admin token was refused.');
    throw new APIError(resp.status, e.code || 'http_' + resp.status, e.message || resp.statusText);
  }
  return data;
}

function show(id) {
  for (const s of ['signin', 'sales', 'sale']) $(s).hidden = s !== id;
  $('signout').hidden = id === 'signin';
  document.body.dataset.view = id;
}

function signOut(why) {
  sessionStorage.removeItem(TOKEN_KEY);
  stopPolling();
  show('signin');
  $('signin-error').hidden = !why;
  $('signin-error').textContent = why || '';
}

let timer = 0;
function stopPolling() { clearTimeout(timer); timer = 0; }

const fmtTime = (s) => new Date(s).toLocaleString();
const fmtNum = (n) => (n >= 100 ? Math.round(n).toString() : n.toFixed(1));

// ---- the list of sales ------------------------------------------------------

async function listView() {
  show('sales');
  const page = await api('GET', '/activities?limit=100');
  $('sale-rows').replaceChildren(...page.items.map((a) => {
    const tr = h('tr', { class: 'row', 'data-activity': a.id },
      h('td', {}, h('a', { href: '/console?activity=' + encodeURIComponent(a.id) }, a.id)),
      h('td', {}, a.status), h('td', {}, a.sold), h('td', {}, a.remaining), h('td', {}, fmtTime(a.ends_at)));
    tr.addEventListener('click', (ev) => { if (ev.target.tagName !== 'A') location.href = '/console?activity=' + encodeURIComponent(a.id); });
    return tr;
  }));
  document.body.dataset.ready = 'sales';
}

// ---- one sale ---------------------------------------------------------------

// rates turns two totals into per-second rates and a p99 over their interval.
function rates(prev, cur) {
  const dt = (cur.at - prev.at) / 1000;
  if (!(dt > 0)) return null;
  const delta = (a, b) => Math.max(0, (a || 0) - (b || 0)) / dt; // counters restart with a process
  const outcomes = {};
  for (const k of new Set([...Object.keys(cur.outcomes), ...Object.keys(prev.outcomes)])) outcomes[k] = delta(cur.outcomes[k], prev.outcomes[k]);
  const status = (s) => delta(cur.statuses[s], prev.statuses[s]);
  // p99: the smallest bucket bound holding 99% of the interval's answers.
  const counts = cur.latency.map((b, i) => ({ le: b.le, n: Math.max(0, b.count - ((prev.latency[i] || {}).count || 0)) }));
  const total = counts.length ? counts[counts.length - 1].n : 0;
  let p99 = null;
  if (total > 0) {
    const bucket = counts.find((b) => b.n >= 0.99 * total);
    p99 = bucket && bucket.le !== null ? bucket.le * 1000 : Infinity;
  }
  return { outcomes, r429: status('429'), r503: status('503'), p99 };
}

function plot(svg, series) {
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  svg.replaceChildren(...series.map((s, i) => {
    const pts = s.values.map((v, x) => `${(x * 300) / (WINDOW - 1)},${58 - (Math.min(Number.isFinite(v) ? v : max, max) / max) * 56}`);
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('class', 's' + (s.color ?? i));
    return line;
  }));
}

const OUTCOMES = ['won', 'already_won', 'sold_out', 'paused', 'not_started', 'ended', 'cancelled'];

async function saleView(id) {
  show('sale');
  const enc = encodeURIComponent(id);
  const samples = []; // {sold, rates}
  let prevTotals = null;
  let prevSold = null;
  let prevAt = 0;
  let ticks = 0;
  let act = null;

  const result = (text, ok) => {
    $('action-result').textContent = text;
    $('action-result').className = ok ? 'muted' : 'error';
  };
  const act_ = (label, method, path, body) => async () => {
    if (label === 'cancel' && !confirm('Cancel this sale for good? Purchases stop; orders are kept.')) return;
    try {
      act = await api(method, path, body);
      result(`${label}: done; status ${act.status}.`, true);
      renderFigures();
      ticks = 0;
      tick();
    } catch (e) {
      result(`${label}: ${e.status} ${e.code}: ${e.message}`, false);
    }
  };
  $('pause').onclick = act_('pause', 'POST', `/activities/${enc}/pause`);
  $('resume').onclick = act_('resume', 'POST', `/activities/${enc}/resume`);
  $('cancel').onclick = act_('cancel', 'POST', `/activities/${enc}/cancel`);
  $('stock').onclick = () => act_('stock', 'POST', `/activities/${enc}/stock`, { delta: Number($('delta').value) })();
  $('ends-apply').onclick = () => {
    const v = $('ends').value;
    if (!v) return result('ends at: pick a time', false);
    act_('ends at', 'PATCH', `/activities/${enc}`, { ends_at: new Date(v).toISOString() })();
  };

  const renderFigures = () => {
    $('sale-title').textContent = 'Sale ' + act.id;
    $('f-status').textContent = act.status;
    $('f-left').textContent = act.remaining;
    $('f-sold').textContent = act.sold;
    document.body.dataset.status = act.status;
  };

  const renderPlots = () => {
    const col = (f) => { const v = samples.map(f); while (v.length < WINDOW) v.unshift(NaN); return v; };
    const last = samples[samples.length - 1];
    $('f-wins').textContent = last ? fmtNum(last.wins) : '…';
    plot($('p-wins'), [{ values: col((s) => s.wins) }]);
    const seen = OUTCOMES.filter((o) => samples.some((s) => s.rates && s.rates.outcomes[o] > 0));
    plot($('p-attempts'), seen.map((o) => ({ values: col((s) => (s.rates ? s.rates.outcomes[o] || 0 : NaN)), color: OUTCOMES.indexOf(o) % 6 })));
    $('outcome-legend').replaceChildren(...seen.map((o) => h('span', { class: 'k' + (OUTCOMES.indexOf(o) % 6) }, ' ' + o + (last && last.rates ? ' ' + fmtNum(last.rates.outcomes[o] || 0) : ''))));
    plot($('p-refused'), [{ values: col((s) => (s.rates ? s.rates.r429 : NaN)), color: 1 }, { values: col((s) => (s.rates ? s.rates.r503 : NaN)), color: 3 }]);
    $('f-refused').textContent = last && last.rates ? `now ${fmtNum(last.rates.r429)} / ${fmtNum(last.rates.r503)}` : '';
    plot($('p-p99'), [{ values: col((s) => (s.rates && s.rates.p99 !== null ? s.rates.p99 : NaN)) }]);
    $('f-p99').textContent = last && last.rates && last.rates.p99 !== null ? (Number.isFinite(last.rates.p99) ? `now ≤ ${last.rates.p99} ms` : 'now > 2.5 s') : '';
  };

  const slow = async () => {
    const [stats, pending, audit] = await Promise.all([
      api('GET', `/activities/${enc}/stats`),
      api('GET', `/activities/${enc}/orders?status=pending&limit=10`),
      api('GET', `/activities/${enc}/audit?limit=10`),
    ]);
    $('f-pending').textContent = stats.pending;
    $('pending').replaceChildren(...(pending.items.length ? pending.items.map((o) =>
      h('li', { 'data-order': o.id }, h('code', {}, o.id), ' · ', o.user_id, ' · expires ', fmtTime(o.expires_at)))
      : [h('li', { class: 'muted' }, 'No pending orders.')]));
    $('audit').replaceChildren(...(audit.items.length ? audit.items.map((e) =>
      h('li', { 'data-action': e.action }, fmtTime(e.at), ' · ', h('strong', {}, e.action), ' by ', h('code', {}, e.actor),
        ' · ', JSON.stringify(e.before), ' → ', JSON.stringify(e.after)))
      : [h('li', { class: 'muted' }, 'No admin actions yet.')]));
  };

  const tick = async () => {
    stopPolling();
    try {
      const [a, totals] = await Promise.all([api('GET', `/activities/${enc}`), api('GET', '/console/totals')]);
      act = a;
      renderFigures();
      const now = totals.at;
      $('traffic-scope').textContent = `(all sales, ${totals.instances} instance${totals.instances === 1 ? '' : 's'})`;
      const sample = { wins: 0, rates: prevTotals ? rates(prevTotals, totals) : null };
      if (prevSold !== null && now > prevAt) sample.wins = Math.max(0, a.sold - prevSold) / ((now - prevAt) / 1000);
      prevSold = a.sold; prevAt = now; prevTotals = totals;
      samples.push(sample);
      if (samples.length > WINDOW) samples.shift();
      renderPlots();
      if (ticks++ % SLOW_EVERY === 0) await slow();
      document.body.dataset.ready = 'sale';
      document.body.dataset.ticks = String(ticks);
    } catch (e) {
      result(`refresh: ${e.status || ''} ${e.code || ''} ${e.message}`, false);
    }
    if (token()) timer = setTimeout(tick, TICK_MS);
  };
  await tick();
}

// ---- start ------------------------------------------------------------------

function route() {
  stopPolling();
  if (!token()) return signOut();
  const id = new URLSearchParams(location.search).get('activity');
  return id ? saleView(id) : listView();
}

$('signin').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  try {
    await api('GET', '/console/totals');
    route();
  } catch (e) {
    if (e.status !== 401) signOut(`${e.code}: ${e.message}`);
  }
});
$('signout').addEventListener('click', () => signOut());
route();
