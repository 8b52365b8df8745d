// The storefront: a shopper's page for the flash sales, written against the
// public HTTP API only (see /docs). Plain JavaScript, no framework, no build
// step. Every countdown follows the server's clock (GET /time), never the
// device's: the server decides when a sale starts and when a payment is late.
'use strict';

const AUTH = (document.querySelector('meta[name="seckill-user-auth"]') || {}).content || 'user-id';
const KEY_USER = 'seckill.user';
const KEY_TOKEN = 'seckill.token';
const POLL_ACTIVITY_MS = 2000; // an open sale page re-reads its stock this often
const POLL_HOME_MS = 5000;
const POLL_QUEUE_MS = 1000; // a shopper in a waiting room sees their place move this often
const RESYNC_MS = 60000;

const state = {
  user: '',
  token: '',
  clock: null, // {server, sent, received}: the server read `server` between performance.now() `sent` and `received`
  // clockReady is the first sync(): started beside the page's first reads,
  // and awaited only before drawing anything that needs the server's time.
  clockReady: null,
  products: new Map(), // product ID -> Promise of the product
  reloadOrders: () => {},
};

// ---- small helpers ----------------------------------------------------------

const $ = (id) => document.getElementById(id);

// h builds an element: h('a', {href: '/', class: 'x', onclick: fn}, 'text', child).
// Text is always set as text, never parsed as HTML.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function load(key) {
  try { return localStorage.getItem(key) || ''; } catch { return ''; }
}

function save(key, value) {
  try {
    if (value) localStorage.setItem(key, value); else localStorage.removeItem(key);
  } catch { /* storage off: the choice lasts until the page is closed */ }
}

function money(cents) {
  return (cents / 100).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

// duration shows whole seconds left, rounded up, so it reads 00:00 exactly
// when the moment comes.
function duration(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86400);
  const p = (n) => String(n).padStart(2, '0');
  const hh = Math.floor((s % 86400) / 3600);
  const clock = (d || hh ? p(hh) + ':' : '') + p(Math.floor((s % 3600) / 60)) + ':' + p(s % 60);
  return d ? d + ' d ' + clock : clock;
}

function localTime(ms) {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

// ---- the server's clock -----------------------------------------------------

// sync reads the server's clock. The server read it at some moment between
// sending the request and receiving the answer, so its clock now lies
// between earliest() and latest(), the round trip apart. Each countdown
// takes the bound that errs on the safe side: a sale is shown started (and
// its button enabled) only once the server has it started, and a deadline
// or an end is never shown further away than it is.
async function sync() {
  const sent = performance.now();
  const c = await api('GET', '/time');
  state.clock = { server: Date.parse(c.now), sent, received: performance.now() };
}

// earliest and latest bound the server's clock, in ms since the epoch.
// performance.now() is monotonic, so the device's clock plays no part.
function earliest() {
  return state.clock.server + (performance.now() - state.clock.received);
}

function latest() {
  return state.clock.server + (performance.now() - state.clock.sent);
}

// ---- the API ----------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// api sends one request and returns the decoded answer, or throws an
// ApiError whose message is meant for the shopper.
async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  let res;
  try {
    res = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'The shop cannot be reached. Check your connection and try again.');
  }
  let data = null;
  try { data = await res.json(); } catch { /* not JSON: described below */ }
  if (res.ok) return data;
  const err = (data && data.error) || {};
  if (res.status === 429) {
    const wait = Math.max(1, parseInt(res.headers.get('Retry-After'), 10) || 1);
    throw new ApiError(429, err.code, `Slow down: too many attempts. Try again in ${wait} s.`, wait);
  }
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    throw new ApiError(res.status, err.code, 'The shop is busy right now. Please try again in a moment.');
  }
  if (res.status === 401 && AUTH === 'jwt') {
    throw new ApiError(401, err.code, 'Please sign in again: ' + (err.message || 'your token was refused') + '.');
  }
  throw new ApiError(res.status, err.code, err.message || `The shop answered ${res.status}. Please try again.`);
}

function product(id) {
  if (!state.products.has(id)) {
    const p = api('GET', '/products/' + encodeURIComponent(id));
    p.catch(() => state.products.delete(id)); // a failed read is retried next time
    state.products.set(id, p);
  }
  return state.products.get(id);
}

// ---- messages -----------------------------------------------------------------

function notice(message) {
  const n = $('notice');
  n.textContent = message;
  n.hidden = !message;
}

// poll returns run, which runs fn at once; run.schedule() runs it ms later,
// and every run schedules the next, while the page is visible. Only the
// latest run schedules, so a run asked for out of turn (a click, a countdown
// at zero, the page shown again) never doubles the polling. A failure shows
// its message and the next success clears it.
function poll(ms, fn) {
  let timer = 0;
  let latest = 0;
  const schedule = () => {
    clearTimeout(timer);
    if (!document.hidden) timer = setTimeout(run, ms);
  };
  const run = async () => {
    clearTimeout(timer);
    const mine = ++latest;
    try {
      await fn();
      notice('');
    } catch (e) {
      notice(e.message);
    }
    if (mine === latest) schedule();
  };
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) clearTimeout(timer); else run();
  });
  run.schedule = schedule;
  return run;
}

function markReady() {
  if (document.documentElement.dataset.ready) return;
  document.documentElement.dataset.ready = 'true';
  performance.mark('storefront-ready');
}

// ---- countdowns ---------------------------------------------------------------

// Elements with data-until (ms, server clock) show the time left, by
// earliest() or, with data-bound="latest", by latest(). When it reaches zero
// they get the event "elapsed", once. The next tick is set for the next
// change of a displayed second, so a countdown reaches zero on time.
function tick() {
  const low = earliest();
  const high = latest();
  let next = 1000;
  for (const el of document.querySelectorAll('[data-until]')) {
    const left = Number(el.dataset.until) - (el.dataset.bound === 'latest' ? high : low);
    el.textContent = duration(left);
    if (left > 0) {
      next = Math.min(next, left % 1000 || 1000);
    } else if (!el.dataset.elapsed) {
      el.dataset.elapsed = 'true';
      el.dispatchEvent(new Event('elapsed', { bubbles: true }));
    }
  }
  clearTimeout(tick.timer);
  tick.timer = setTimeout(tick, next + 1);
}

// countdown makes a countdown to until (server clock): to a start by
// earliest(), to an end or a deadline (bound "latest") by latest(). Only a
// countdown that reaches zero while shown fires "elapsed": one made after its
// moment (from a read that lags) stays at zero rather than asking for a new
// read at once.
function countdown(until, onElapsed, bound) {
  const t = bound === 'latest' ? latest() : earliest();
  const el = h('strong', { class: 'countdown', 'data-until': until, 'data-bound': bound }, duration(until - t));
  if (until <= t) el.dataset.elapsed = 'true';
  if (onElapsed) el.addEventListener('elapsed', onElapsed);
  return el;
}

// ---- the user ---------------------------------------------------------------

// tokenSubject reads the subject of a JWT without verifying it (the server
// does): it is the user the token lets this page act for.
function tokenSubject(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part + '==='.slice((part.length + 3) % 4)));
    return typeof claims.sub === 'string' ? claims.sub : '';
  } catch {
    return '';
  }
}

function readUser() {
  if (AUTH === 'jwt') {
    // A token in the address (#token=<JWT>) is taken and removed from it, so
    // it is not left in the history or shared with a copied link.
    const fromURL = new URLSearchParams(location.hash.slice(1)).get('token');
    if (fromURL) {
      save(KEY_TOKEN, fromURL);
      history.replaceState(null, '', location.pathname + location.search);
    }
    state.token = load(KEY_TOKEN);
    state.user = tokenSubject(state.token);
  } else {
    state.user = load(KEY_USER);
  }
}

function renderWho(onChange) {
  const who = $('who');
  const msg = h('span', { id: 'who-msg', class: 'who-msg', role: 'status' });
  const signOut = () => {
    save(AUTH === 'jwt' ? KEY_TOKEN : KEY_USER, '');
    state.user = '';
    state.token = '';
    renderWho(onChange);
    onChange();
  };
  if (state.user) {
    who.replaceChildren(
      AUTH === 'jwt' ? 'Signed in as ' : 'Shopping as ',
      h('strong', { id: 'user-name' }, state.user), ' ',
      h('button', { id: 'user-change', class: 'link', type: 'button', onclick: signOut }, AUTH === 'jwt' ? 'Sign out' : 'Change'),
    );
    return;
  }
  const jwt = AUTH === 'jwt';
  const input = h('input', {
    id: 'user-input', name: jwt ? 'token' : 'user', required: true, spellcheck: 'false', autocomplete: jwt ? 'off' : 'username',
    type: jwt ? 'password' : 'text', maxlength: jwt ? undefined : 128, placeholder: jwt ? 'paste your token' : 'e.g. alice',
  });
  const form = h('form', { id: 'user-form', class: 'user-form' },
    h('label', { for: 'user-input' }, jwt ? 'Sign-in token' : 'Your user ID'), input,
    h('button', { id: 'user-save', type: 'submit' }, jwt ? 'Sign in' : 'Continue'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    const user = jwt ? tokenSubject(value) : value;
    if (!user) {
      msg.textContent = 'This is not a sign-in token (a JWT with a subject).';
      return;
    }
    // Ask the shop before keeping it: a malformed ID or a refused token is
    // shown with the shop's own message.
    const before = { user: state.user, token: state.token };
    state.user = user;
    state.token = jwt ? value : '';
    try {
      await api('GET', `/users/${encodeURIComponent(user)}/orders?limit=1`);
    } catch (e) {
      Object.assign(state, before);
      msg.textContent = e.message;
      return;
    }
    save(jwt ? KEY_TOKEN : KEY_USER, value);
    renderWho(onChange);
    onChange();
  });
  who.replaceChildren(form);
}

// ---- orders -------------------------------------------------------------------

const ORDER_WORDS = {
  pending: 'Waiting for payment',
  paid: 'Paid. It is yours.',
  cancelled: 'Cancelled. The unit went back on sale.',
  expired: 'Expired: the payment deadline passed and the unit went back on sale.',
};

// orderView shows an order with its payment deadline and, while it is
// pending, its Demo payment and Cancel buttons. An order is paid by the
// payment service's confirmation; the demo payment (served only when the
// server runs with PAYMENT_DEMO=true, for local trials) sends one signed by
// the server. onChange gets the order after a change.
function orderView(o, onChange) {
  const msg = h('p', { class: 'order-msg', role: 'status' });
  const box = h('div', { class: 'order', 'data-order': o.id, 'data-status': o.status });
  const act = async (what) => {
    for (const b of box.querySelectorAll('button')) b.disabled = true;
    msg.textContent = what === 'demo-payment' ? 'Paying (demo)…' : 'Cancelling…';
    try {
      const changed = await api('POST', `/orders/${encodeURIComponent(o.id)}/${what}`, { user_id: state.user });
      onChange(changed);
    } catch (e) {
      msg.textContent = e.message;
      // A 409 means the order changed meanwhile (paid, cancelled, expired): show it as it is.
      if (e.status === 409) api('GET', '/orders/' + encodeURIComponent(o.id)).then(onChange, () => {});
      else for (const b of box.querySelectorAll('button')) b.disabled = false;
    }
  };
  box.append(
    h('p', { class: 'order-head' },
      'Order ', h('code', { class: 'order-id' }, o.id), ' · ', h('span', { class: 'price' }, money(o.price))),
    h('p', { class: 'order-status status-' + o.status }, ORDER_WORDS[o.status] || o.status),
  );
  if (o.status === 'pending') {
    if (o.expires_at) {
      const deadline = Date.parse(o.expires_at);
      box.append(h('p', { class: 'deadline' }, 'Pay within ',
        countdown(deadline, () => api('GET', '/orders/' + encodeURIComponent(o.id)).then(onChange, (e) => { msg.textContent = e.message; }), 'latest'),
        h('span', { class: 'muted' }, ' (by ' + localTime(deadline) + ')')));
    }
    let confirming = 0;
    const cancel = h('button', { class: 'cancel secondary', type: 'button' }, 'Cancel order');
    cancel.addEventListener('click', () => {
      // Cancelling gives the unit up for good: the second click confirms.
      if (!confirming) {
        cancel.textContent = 'Click again to cancel';
        confirming = setTimeout(() => { confirming = 0; cancel.textContent = 'Cancel order'; }, 4000);
        return;
      }
      clearTimeout(confirming);
      act('cancel');
    });
    box.append(h('p', { class: 'actions' },
      h('button', { class: 'demo-pay', type: 'button', title: 'Local trials only: no money moves', onclick: () => act('demo-payment') },
        'Demo payment: ' + money(o.price)), ' ', cancel));
  } else if (o.paid_at) {
    box.append(h('p', { class: 'muted' }, 'Paid at ' + localTime(Date.parse(o.paid_at))));
  }
  box.append(msg);
  return box;
}

async function renderMyOrders() {
  const section = $('my-orders');
  section.hidden = !state.user;
  if (!state.user) return;
  const page = await api('GET', `/users/${encodeURIComponent(state.user)}/orders?limit=20`);
  const names = await Promise.all(page.items.map((o) => product(o.product_id).then((p) => p.name, () => 'Product ' + o.product_id)));
  await state.clockReady;
  const list = $('order-list');
  list.replaceChildren(...page.items.map((o, i) => h('li', {},
    h('a', { href: '/?activity=' + encodeURIComponent(o.activity_id) }, names[i]),
    orderView(o, () => {
      state.reloadOrders();
      if (state.onUserChange) state.onUserChange(); // the sale page shows the same order
    }))));
  $('orders-empty').hidden = page.items.length > 0;
}

// ---- the home page: the sales ---------------------------------------------------

async function listActivities(status) {
  const items = [];
  let cursor = null;
  // A filtered page may be short while more follow: a few pages at most.
  for (let i = 0; i < 5 && items.length < 50; i++) {
    const page = await api('GET', `/activities?status=${status}&limit=50` + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return items;
}

function priceView(a, p) {
  return h('p', { class: 'price' }, h('span', { class: 'now' }, money(a.price)), ' ',
    p && p.price > a.price ? h('s', { class: 'was' }, money(p.price)) : '');
}

function stockView(a) {
  return h('p', { class: 'stock' },
    h('span', { class: 'remaining' }, a.remaining), ' of ', a.stock, ' left ',
    h('meter', { min: 0, max: a.stock, value: a.remaining, 'aria-hidden': 'true' }));
}

async function homeView() {
  const list = h('div', { id: 'sales', class: 'sales' });
  const empty = h('p', { id: 'no-sales', class: 'muted', hidden: true }, 'No sales are running or coming up right now.');
  $('main').replaceChildren(h('h1', {}, 'Flash sales'), empty, list);
  let refresh;
  const render = async () => {
    const [running, scheduled, soldOut, paused] = await Promise.all(['running', 'scheduled', 'sold_out', 'paused'].map(listActivities));
    await state.clockReady;
    const by = (field) => (x, y) => Date.parse(x[field]) - Date.parse(y[field]);
    const all = [...running.sort(by('ends_at')), ...scheduled.sort(by('starts_at')), ...soldOut.sort(by('ends_at')), ...paused.sort(by('ends_at'))];
    const products = await Promise.all(all.map((a) => product(a.product_id).catch(() => null)));
    list.replaceChildren(...all.map((a, i) => {
      const p = products[i];
      const link = '/?activity=' + encodeURIComponent(a.id);
      const when = a.status === 'scheduled'
        ? h('p', { class: 'when' }, 'Starts in ', countdown(Date.parse(a.starts_at), () => refresh()))
        : h('p', { class: 'when' }, a.status === 'sold_out' ? 'Sold out · ends in ' : a.status === 'paused' ? 'Paused · ends in ' : 'Ends in ', countdown(Date.parse(a.ends_at), () => refresh(), 'latest'));
      return h('article', { class: 'card status-' + a.status, 'data-activity': a.id, 'data-status': a.status },
        h('h2', {}, h('a', { href: link }, p ? p.name : 'Product ' + a.product_id)),
        priceView(a, p), stockView(a), when,
        h('a', { class: 'button', href: link }, a.status === 'running' ? 'Buy' : 'See the sale'));
    }));
    empty.hidden = all.length > 0;
    tick();
    markReady();
  };
  refresh = poll(POLL_HOME_MS, render);
  await render();
  refresh.schedule();
}

// ---- the sale page ------------------------------------------------------------

const OUTCOME_WORDS = {
  won: (id) => ['You won! Your order is ', h('code', {}, id), '. Pay before the deadline below.'],
  already_won: (id) => ['You already won this sale. Your order is ', h('code', {}, id), '.'],
  held: (id) => ['You won this sale. Your order is ', h('code', {}, id), '.'],
  order_closed: (id, status) => ['Your order ', h('code', {}, id), ` in this sale ${status === 'expired' ? 'expired unpaid' : 'was cancelled'}. One order per customer: you cannot buy in this sale again.`],
  sold_out: () => ['Sold out: every unit is taken. Units come back if a winner cancels or misses the payment deadline.'],
  not_started: () => ['The sale has not started yet.'],
  ended: () => ['The sale has ended.'],
  cancelled: () => ['This sale was cancelled.'],
  paused: () => ['The sale is paused for a moment. Nothing is sold until it resumes; try again shortly.'],
};

// phaseOf is the activity's state now, from its last read: started once the
// server's clock is surely past the start (or the read says so), ended as
// soon as it may be past the end.
function phaseOf(a) {
  if (a.status === 'cancelled' || a.status === 'ended') return a.status;
  if (latest() >= Date.parse(a.ends_at)) return 'ended';
  if (a.status === 'paused') return 'paused';
  if (a.status === 'scheduled' && earliest() < Date.parse(a.starts_at)) return 'scheduled';
  return a.remaining > 0 ? 'running' : 'sold_out';
}

async function activityView(id) {
  // Whether the user holds an order here is read at once, beside the sale.
  const heldRead = state.user
    ? api('GET', `/activities/${encodeURIComponent(id)}/purchases/${encodeURIComponent(state.user)}`).catch((e) => ({ error: e }))
    : null;
  let a;
  try {
    a = await api('GET', '/activities/' + encodeURIComponent(id));
  } catch (e) {
    if (e.status !== 400 && e.status !== 404) throw e;
    $('main').replaceChildren(h('h1', {}, 'No such sale'), h('p', {}, e.message), h('p', {}, h('a', { href: '/' }, 'See all sales')));
    markReady();
    return;
  }
  const p = await product(a.product_id).catch(() => null);
  await state.clockReady;
  document.title = (p ? p.name : 'Sale') + ' · Flash sale';
  if (a.admission === 'draw') return drawView(a, p);

  const buy = h('button', { id: 'buy', class: 'buy', type: 'button', disabled: true }, 'Buy now');
  const phase = h('div', { id: 'phase', class: 'phase' });
  const outcome = h('div', { id: 'outcome', class: 'outcome', role: 'status', 'aria-live': 'polite', hidden: true });
  const orderBox = h('div', { id: 'order-panel' });
  const stock = h('div', { id: 'stock-box' });
  const price = h('div', { id: 'price-box' });
  // A sale with a waiting room sells only to shoppers whose turn it is: the
  // queue's answer carries the admission token the purchase sends.
  const queued = a.admission === 'queue';
  const queueBox = h('div', { id: 'queue', class: 'queue', hidden: !queued });
  let turn = null; // {token, expires}: the shopper's admission, while it lasts
  $('main').replaceChildren(
    h('p', {}, h('a', { href: '/' }, '← All sales')),
    h('article', { class: 'sale', 'data-activity': a.id },
      h('h1', { id: 'product-name' }, p ? p.name : 'Product ' + a.product_id),
      p && p.description ? h('p', { id: 'product-desc', class: 'desc' }, p.description) : '',
      price, stock, phase, queueBox,
      h('p', { class: 'buy-row' }, buy),
      outcome, orderBox));

  let busy = false;
  let held = ''; // the user's order here: one per customer, so no more buying
  let cooldownUntil = 0; // performance.now() until which a rate-limited shopper waits
  let shownPhase = '';
  let seq = 0;

  const showOutcome = (kind, words) => {
    outcome.hidden = false;
    outcome.dataset.outcome = kind;
    outcome.dataset.seq = String(++seq);
    outcome.className = 'outcome outcome-' + kind;
    outcome.replaceChildren(...words);
  };

  let cooldownTimer = 0;
  const renderButton = () => {
    const ph = phaseOf(a);
    const wait = Math.ceil((cooldownUntil - performance.now()) / 1000);
    const noTurn = queued && !(turn && latest() < turn.expires);
    buy.disabled = busy || wait > 0 || !state.user || !!held || noTurn || (ph !== 'running' && ph !== 'sold_out');
    buy.textContent = held ? 'One per customer' : wait > 0 ? `Wait ${wait} s` : noTurn ? 'Wait for your turn'
      : ph === 'sold_out' ? 'Sold out: try again' : 'Buy now';
    buy.title = state.user ? '' : (AUTH === 'jwt' ? 'Sign in above to buy' : 'Enter your user ID above to buy');
    clearTimeout(cooldownTimer);
    if (wait > 0) cooldownTimer = setTimeout(renderButton, 1000);
  };

  const renderPhase = () => {
    const ph = phaseOf(a);
    shownPhase = ph;
    phase.dataset.phase = ph;
    const starts = Date.parse(a.starts_at);
    const ends = Date.parse(a.ends_at);
    const onElapsed = () => { renderPhase(); renderButton(); refresh(); };
    if (ph === 'scheduled') {
      phase.replaceChildren(h('span', {}, 'Starts in '), countdown(starts, onElapsed),
        h('span', { class: 'muted' }, ' · ' + localTime(starts)));
    } else if (ph === 'running' || ph === 'sold_out') {
      phase.replaceChildren(h('span', {}, ph === 'sold_out' ? 'Sold out · ends in ' : 'On sale · ends in '), countdown(ends, onElapsed, 'latest'));
    } else if (ph === 'paused') {
      phase.replaceChildren(h('span', {}, 'Paused · ends in '), countdown(ends, onElapsed, 'latest'));
    } else {
      phase.replaceChildren(h('span', {}, ph === 'ended' ? 'This sale has ended.' : 'This sale was cancelled.'));
    }
    tick();
  };

  const renderActivity = () => {
    price.replaceChildren(priceView(a, p));
    stock.replaceChildren(stockView(a));
    if (phaseOf(a) !== shownPhase) renderPhase();
    renderButton();
  };

  const showOrder = async (orderID) => {
    const render = (o) => {
      if (o.status === 'cancelled' || o.status === 'expired') showOutcome('order_closed', OUTCOME_WORDS.order_closed(o.id, o.status));
      orderBox.replaceChildren(orderView(o, (changed) => { render(changed); state.reloadOrders(); refresh(); }));
      tick();
    };
    render(await api('GET', '/orders/' + encodeURIComponent(orderID)));
  };

  // The user's order here, held or closed: a reload shows it again. One
  // order per customer, so either way there is no more buying.
  const showHeld = async (read) => {
    orderBox.replaceChildren();
    outcome.hidden = true;
    held = '';
    if (!state.user) return;
    const r = read ? await read : await api('GET', `/activities/${encodeURIComponent(a.id)}/purchases/${encodeURIComponent(state.user)}`);
    if (r.error) throw r.error;
    if (r.order_id) {
      held = r.order_id;
      if (r.won) showOutcome('held', OUTCOME_WORDS.held(r.order_id));
      await showOrder(r.order_id);
    }
  };

  buy.addEventListener('click', async () => {
    if (busy || !state.user) return;
    busy = true;
    renderButton();
    try {
      const body = { user_id: state.user };
      if (turn) body.admission_token = turn.token;
      const r = await api('POST', `/activities/${encodeURIComponent(a.id)}/purchase`, body);
      if (r.order_id) held = r.order_id;
      showOutcome(r.outcome, (OUTCOME_WORDS[r.outcome] || (() => ['Outcome: ' + r.outcome]))(r.order_id, r.status));
      renderButton();
      if (r.order_id) {
        await showOrder(r.order_id);
        state.reloadOrders();
      }
      refresh();
    } catch (e) {
      if (e.status === 429) cooldownUntil = performance.now() + e.retryAfter * 1000;
      showOutcome(e.status === 429 ? 'rate_limited' : 'error', [e.message]);
    } finally {
      busy = false;
      renderButton();
    }
  });

  // ---- the waiting room ----
  const queuePath = () => `/activities/${encodeURIComponent(a.id)}/queue`;
  const QUEUE_WORDS = {
    expired: 'Your turn has passed: the time to buy ran out.',
    sold_out: 'Sold out: every unit is taken. Nobody else is let in.',
  };
  // renderQueue shows where the shopper stands (ans: the queue's answer,
  // null before joining) and keeps the admission token of their turn.
  const renderQueue = (ans) => {
    const st = ans ? ans.status : 'none';
    queueBox.dataset.status = st;
    turn = st === 'admitted' ? { token: ans.admission_token, expires: Date.parse(ans.expires_at) } : null;
    const reread = () => { queueRead().catch((e) => notice(e.message)); };
    if (st === 'none') {
      const join = h('button', { id: 'queue-join', type: 'button', disabled: !state.user }, 'Join the waiting room');
      join.addEventListener('click', async () => {
        join.disabled = true;
        try {
          renderQueue(await api('POST', queuePath(), { user_id: state.user }));
          queuePoll.schedule();
        } catch (e) {
          notice(e.message);
          join.disabled = !state.user;
        }
      });
      queueBox.replaceChildren(h('p', {}, 'This sale has a waiting room. Join it, and buy when your turn comes: ',
        'everyone who joins before the start gets a place drawn at random, so there is no need to hurry.'), h('p', {}, join));
    } else if (st === 'not_open') {
      queueBox.replaceChildren(h('p', {}, 'The waiting room opens in ', countdown(Date.parse(ans.queue_opens_at), () => {
        renderQueue(null);
      })));
    } else if (st === 'waiting') {
      queueBox.replaceChildren(h('p', {}, 'You are in the waiting room: place ', h('strong', { id: 'queue-position' }, ans.position),
        ' (', h('span', { id: 'queue-ahead' }, ans.ahead), ' ahead of you). Your turn comes in about ',
        h('strong', { id: 'queue-wait' }, duration(ans.estimated_wait_seconds * 1000)), '.'));
    } else if (st === 'admitted') {
      queueBox.replaceChildren(h('p', {}, 'It is your turn! Buy within ', countdown(turn.expires, reread, 'latest'), '.'));
    } else {
      queueBox.replaceChildren(h('p', {}, QUEUE_WORDS[st] || 'Waiting room: ' + st));
    }
    tick();
    renderButton();
  };
  // queueRead reads where the shopper stands; not having joined is 404.
  const queueRead = async () => {
    if (!queued) return;
    if (!state.user) {
      renderQueue(null);
      return;
    }
    try {
      renderQueue(await api('GET', `${queuePath()}/${encodeURIComponent(state.user)}`));
    } catch (e) {
      if (e.status !== 404) throw e;
      renderQueue(null);
    }
  };
  // The place moves while the shopper waits; once the turn came, the answer
  // only changes when it ends, which the countdown asks for.
  const queuePoll = poll(POLL_QUEUE_MS, async () => {
    const before = queueBox.dataset.status;
    if (before === 'waiting' || before === 'not_open') await queueRead();
  });

  state.onUserChange = () => Promise.all([showHeld(null), queueRead()]).catch((e) => notice(e.message)).finally(renderButton);
  const refresh = poll(POLL_ACTIVITY_MS, async () => {
    a = await api('GET', '/activities/' + encodeURIComponent(a.id));
    renderActivity();
  });
  renderActivity();
  await Promise.all([showHeld(heldRead), queueRead()]);
  renderButton();
  markReady();
  refresh.schedule();
  if (queued) queuePoll.schedule();
}

// ---- the draw page: a sale by lot --------------------------------------------

// drawPhaseOf is a draw's state now: 'before' registration opens, 'open'
// while it is, 'drawing' from draw_at until the draw is done, 'done'; or the
// activity's 'cancelled'. Registration is shown open only once the server
// has it open, and closed as soon as it may be.
function drawPhaseOf(a, d) {
  if (a.status === 'cancelled') return 'cancelled';
  if (d.status === 'done') return 'done';
  if (latest() >= Date.parse(a.draw_at)) return 'drawing';
  if (earliest() < Date.parse(a.registration_opens_at)) return 'before';
  return 'open';
}

// drawView is the page of an activity that sells by draw: enter while
// registration is open, "you are in", and after the draw whether the shopper
// won (with their order) or not, and the seed that lets anyone check it.
async function drawView(a, p) {
  const id = encodeURIComponent(a.id);
  const phase = h('div', { id: 'draw-phase', class: 'phase' });
  const enter = h('button', { id: 'enter', class: 'buy', type: 'button', disabled: true }, 'Enter the draw');
  const enterRow = h('p', { class: 'buy-row' }, enter);
  const entry = h('p', { id: 'entry', class: 'entry', role: 'status' });
  const result = h('div', { id: 'draw-result', class: 'outcome', role: 'status', 'aria-live': 'polite', hidden: true });
  const orderBox = h('div', { id: 'order-panel' });
  const proof = h('p', { id: 'draw-proof', class: 'muted proof' });
  const stock = h('div', { id: 'stock-box' });
  $('main').replaceChildren(
    h('p', {}, h('a', { href: '/' }, '← All sales')),
    h('article', { class: 'sale draw', 'data-activity': a.id },
      h('h1', { id: 'product-name' }, p ? p.name : 'Product ' + a.product_id),
      p && p.description ? h('p', { id: 'product-desc', class: 'desc' }, p.description) : '',
      priceView(a, p), stock,
      h('p', { class: 'muted' }, 'Sold by draw: enter before the draw; the winners are drawn by lot, not by speed.'),
      phase, enterRow, entry, result, orderBox, proof));

  let d = { status: 'pending' };
  let entered = false;
  let held = null; // the purchase result: the draw gives a winner an order
  let busy = false;
  let shown = '';

  const renderPhase = () => {
    const ph = drawPhaseOf(a, d);
    if (ph === shown) return;
    shown = ph;
    phase.dataset.phase = ph;
    const onElapsed = () => { shown = ''; render(); refresh(); };
    if (ph === 'before') {
      phase.replaceChildren('Registration opens in ', countdown(Date.parse(a.registration_opens_at), onElapsed));
    } else if (ph === 'open') {
      phase.replaceChildren('Registration closes in ', countdown(Date.parse(a.draw_at), onElapsed, 'latest'),
        h('span', { class: 'muted' }, ' · the draw at ' + localTime(Date.parse(a.draw_at))));
    } else if (ph === 'drawing') {
      phase.replaceChildren('Registration is closed. Drawing lots…');
    } else if (ph === 'done') {
      phase.replaceChildren('The draw is done.');
    } else {
      phase.replaceChildren('This sale was cancelled.');
    }
    tick();
  };

  const render = () => {
    const n = d.entries || 0;
    stock.replaceChildren(h('p', { class: 'stock' }, h('span', { class: 'units' }, a.stock), a.stock === 1 ? ' unit · ' : ' units · ',
      h('span', { id: 'entries' }, n), n === 1 ? ' entry' : ' entries'));
    renderPhase();
    const ph = drawPhaseOf(a, d);
    // The button's row, not the button: a button's display overrides hidden.
    enterRow.hidden = ph !== 'open' && ph !== 'before';
    enter.disabled = busy || !state.user || entered || ph !== 'open';
    enter.textContent = entered ? 'You are in' : 'Enter the draw';
    enter.title = state.user ? '' : (AUTH === 'jwt' ? 'Sign in above to enter' : 'Enter your user ID above to enter');
    entry.dataset.entered = String(entered);
    entry.textContent = !state.user ? '' : entered ? 'You are in the draw.'
      : ph === 'before' || ph === 'open' ? '' : 'You did not enter this draw.';
    if (held && held.order_id) {
      result.hidden = false;
      result.dataset.result = held.won ? 'won' : 'closed';
      result.className = 'outcome ' + (held.won ? 'outcome-won' : 'outcome-order_closed');
      result.replaceChildren(...(held.won
        ? ['You won the draw! Your order is ', h('code', {}, held.order_id), '. Pay before the deadline below.']
        : OUTCOME_WORDS.order_closed(held.order_id, held.status)));
    } else if (entered && ph === 'done') {
      result.hidden = false;
      result.dataset.result = 'lost';
      result.className = 'outcome outcome-sold_out';
      result.replaceChildren('Not drawn this time. If a winner cancels or does not pay, the unit goes to the next entrant in draw order: this page shows it if it is you.');
    } else {
      result.hidden = true;
      delete result.dataset.result;
    }
    proof.replaceChildren(...(d.seed
      ? ['Seed ', h('code', { id: 'draw-seed' }, d.seed), ' (its SHA-256 is the commitment ', h('code', {}, d.seed_hash),
        '). Anyone can check the draw: ', h('a', { href: `/activities/${id}/draw` }, 'the draw'), ', and go run ./scripts/verifydraw.']
      : d.seed_hash ? ['Commitment, published before the draw: the SHA-256 of its secret seed is ', h('code', { id: 'draw-seed-hash' }, d.seed_hash), '.'] : []));
  };

  let shownOrder = '';
  const showOrder = async () => {
    if (!held || !held.order_id) {
      orderBox.replaceChildren();
      shownOrder = '';
      return;
    }
    const key = held.order_id + ':' + held.status;
    if (key === shownOrder) return;
    shownOrder = key;
    const o = await api('GET', '/orders/' + encodeURIComponent(held.order_id));
    orderBox.replaceChildren(orderView(o, () => { shownOrder = ''; state.reloadOrders(); refresh(); }));
    tick();
  };

  const read = async () => {
    const reads = [api('GET', `/activities/${id}`), api('GET', `/activities/${id}/draw?limit=1`)];
    if (state.user) {
      const u = encodeURIComponent(state.user);
      reads.push(api('GET', `/activities/${id}/entries/${u}`), api('GET', `/activities/${id}/purchases/${u}`));
    }
    const [na, nd, ne, nh] = await Promise.all(reads);
    a = na;
    d = nd;
    entered = !!(ne && ne.entered);
    held = nh || null;
    render();
    await showOrder();
  };

  enter.addEventListener('click', async () => {
    if (busy || !state.user) return;
    busy = true;
    render();
    try {
      const r = await api('POST', `/activities/${id}/entries`, { user_id: state.user });
      entered = r.entered;
      notice('');
      refresh();
    } catch (e) {
      notice(e.message);
    } finally {
      busy = false;
      render();
    }
  });

  state.onUserChange = () => read().catch((e) => notice(e.message));
  const refresh = poll(POLL_ACTIVITY_MS, read);
  await read();
  markReady();
  refresh.schedule();
}

// ---- start --------------------------------------------------------------------

async function start() {
  readUser();
  state.reloadOrders = () => renderMyOrders().catch((e) => notice(e.message));
  renderWho(() => {
    state.reloadOrders();
    if (state.onUserChange) state.onUserChange();
  });
  state.clockReady = sync();
  state.clockReady.catch(() => {}); // a failure is reported where it is awaited
  setInterval(() => sync().catch(() => {}), RESYNC_MS);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) sync().catch(() => {}); });
  const id = new URLSearchParams(location.search).get('activity');
  await Promise.all([id ? activityView(id) : homeView(), renderMyOrders().catch((e) => notice(e.message))]);
}

// Never a blank page: whatever fails shows what happened and a way on.
function failed(e) {
  const message = (e && e.message) || String(e);
  if (!document.documentElement.dataset.ready) {
    $('main').replaceChildren(h('h1', {}, 'The sale could not be shown'), h('p', { id: 'fatal' }, message),
      h('p', {}, h('button', { type: 'button', onclick: () => location.reload() }, 'Try again')));
    document.documentElement.dataset.ready = 'failed';
  } else {
    notice(message);
  }
}

window.addEventListener('error', (ev) => failed(ev.error || ev.message));
window.addEventListener('unhandledrejection', (ev) => failed(ev.reason));
start().catch(failed);
