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
  notice('');
  show('signin');
  $('signin-error').hidden = !why;
  $('signin-error').textContent = why || '';
}

let timer = 0;
function stopPolling() { clearTimeout(timer); timer = 0; }

const fmtTime = (s) => new Date(s).toLocaleString();
// localInput writes a time as a datetime-local input's value, in local time.
const localInput = (s) => {
  const d = new Date(s);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
};

// notice shows a problem with the page's reads at the top, or clears it.
function notice(text) {
  $('notice').hidden = !text;
  $('notice').textContent = text || '';
}
const fmtNum = (n) => (n >= 100 ? Math.round(n).toString() : n.toFixed(1));

// ---- the list of sales ------------------------------------------------------

async function listView() {
  show('sales');
  let page;
  try {
    page = await api('GET', '/activities?limit=100');
  } catch (e) {
    if (token()) notice(`sales: ${e.status || ''} ${e.code || ''} ${e.message}`);
    return;
  }
  notice('');
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

// plot draws each series as a line scaled to the largest finite value, which
// it writes in the top left corner. NaN is no sample (before the console
// opened); Infinity is drawn at the top.
function plot(svg, series) {
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const ns = 'http://www.w3.org/2000/svg';
  const lines = series.map((s, i) => {
    const pts = [];
    s.values.forEach((v, x) => {
      if (!Number.isNaN(v)) pts.push(`${((x * 300) / (WINDOW - 1)).toFixed(1)},${(58 - (Math.min(v, max) / max) * 50).toFixed(1)}`);
    });
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('class', 's' + (s.color ?? i));
    return line;
  });
  const scale = document.createElementNS(ns, 'text');
  scale.setAttribute('x', '2');
  scale.setAttribute('y', '9');
  scale.textContent = max > 1e-9 ? 'max ' + fmtNum(max) : '';
  svg.replaceChildren(...lines, scale);
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

  // renderQueue shows a queue sale's waiting room: the users in line, those
  // admitted, and the admissions per second since the last read.
  let prevAdmitted = null;
  let prevQueueAt = 0;
  const renderQueue = (q, now) => {
    $('f-waiting').textContent = q.sold_out ? `${q.waiting} (told sold out)` : q.waiting;
    $('f-admitted').textContent = q.admitted;
    $('f-admit-rate').textContent = q.admit_rate;
    $('f-admits').textContent = prevAdmitted !== null && now > prevQueueAt
      ? fmtNum(Math.max(0, q.admitted - prevAdmitted) / ((now - prevQueueAt) / 1000)) : '…';
    prevAdmitted = q.admitted; prevQueueAt = now;
  };

  const renderPlots = () => {
    const col = (f) => { const v = samples.map(f); while (v.length < WINDOW) v.unshift(NaN); return v; };
    const last = samples[samples.length - 1];
    $('f-wins').textContent = last && Number.isFinite(last.wins) ? fmtNum(last.wins) : '…';
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

  // tick reads the sale and the totals, and every SLOW_EVERY ticks the
  // pending orders and the audit trail. A read that fails leaves what it
  // showed and says why; the others still update. One tick runs at a time:
  // a tick asked for while one runs (after an action) runs right after it.
  let running = false;
  let again = false;
  const tick = async () => {
    if (running) { again = true; return; }
    running = true;
    stopPolling();
    try {
      await read();
    } finally {
      running = false;
    }
    if (!token()) return; // signed out by a refused token
    if (again) { again = false; tick(); return; }
    timer = setTimeout(tick, TICK_MS);
  };
  const read = async () => {
    const problems = [];
    const [a, totals] = await Promise.allSettled([api('GET', `/activities/${enc}`), api('GET', '/console/totals')]);
    if (!token()) return;
    const now = Date.now();
    if (a.status === 'fulfilled') {
      act = a.value;
      renderFigures();
      if (!$('ends').value) $('ends').value = localInput(act.ends_at);
    } else problems.push(['sale', a.reason]);
    if (act && act.admission === 'queue') {
      try { renderQueue(await api('GET', `/console/queue/${enc}`), now); } catch (e) { problems.push(['waiting room', e]); }
    }
    $('queue-figures').hidden = !(act && act.admission === 'queue');
    if (act && act.admission === 'draw') {
      try {
        const d = await api('GET', `/activities/${enc}/draw?limit=1`);
        $('f-draw-status').textContent = d.status;
        $('f-entries').textContent = d.entries;
        $('f-awarded').textContent = d.awarded;
      } catch (e) { problems.push(['draw', e]); }
    }
    $('draw-figures').hidden = !(act && act.admission === 'draw');
    const sample = { wins: NaN, rates: null };
    if (a.status === 'fulfilled') {
      if (prevSold !== null && now > prevAt) sample.wins = Math.max(0, act.sold - prevSold) / ((now - prevAt) / 1000);
      prevSold = act.sold; prevAt = now;
    }
    if (totals.status === 'fulfilled') {
      const tv = totals.value;
      $('traffic-scope').textContent = `(all sales, ${tv.instances} instance${tv.instances === 1 ? '' : 's'})`;
      if (prevTotals) sample.rates = rates(prevTotals, tv);
      prevTotals = tv;
    } else problems.push(['purchase traffic', totals.reason]);
    samples.push(sample);
    if (samples.length > WINDOW) samples.shift();
    renderPlots();
    if (ticks++ % SLOW_EVERY === 0) {
      try { await slow(); } catch (e) { problems.push(['orders and audit', e]); }
    }
    notice(problems.map(([what, e]) => `${what}: ${e.status || ''} ${e.code || ''} ${e.message}`).join('; '));
    if (act) document.body.dataset.ready = 'sale';
    document.body.dataset.ticks = String(ticks);
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
  // An admin route checks the token; a failure other than 401 (Prometheus
  // or Redis unavailable) does not refuse it: the views say what failed.
  try {
    await api('GET', '/console/totals');
  } catch (e) {
    if (e.status === 401) return;
  }
  route();
});
$('signout').addEventListener('click', () => signOut());
route();
