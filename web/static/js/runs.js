// runs.js: the runs list, newest first, live, with filters and search.

import { get } from './api.js';
import { pager } from './pager.js';
import { badge, clear, fmtAgo, fmtSpan, fmtTime, h, outcomeKind } from './dom.js';

const STAGES = ['connect', 'ehlo', 'auth', 'mail', 'rcpt', 'data'];
// "error": a hook call that failed (the client heard 451 4.3.5, or the
// hook was skipped), as the store names that outcome.
const ACTIONS = ['accept', 'reject', 'discard', 'quarantine', 'error'];
const SOURCES = ['script', 'smtp', 'replay', 'proxy'];
const FILTERS = ['q', 'session', 'stage', 'action', 'source', 'errors', 'drift'];

/** runsPage renders #/ : the list of recorded runs. */
export function runsPage(root, ctx) {
  const filters = {};
  for (const k of FILTERS) filters[k] = ctx.query.get(k) || '';
  const active = () => FILTERS.some((k) => filters[k]);

  const rows = new Map(); // run id -> <tr>
  const selected = new Set();

  const tbody = h('tbody');
  const status = h('p', { class: 'muted list-status' });
  const more = h('button', { class: 'btn', type: 'button', hidden: true, onclick: () => load(false), text: 'Load older runs' });
  const compareBtn = h('button', { class: 'btn', type: 'button', disabled: true, text: 'Compare selected', onclick: () => {
    const [a, b] = [...selected].sort((x, y) => x - y);
    ctx.navigate(`#/compare?a=${a}&b=${b}`);
  } });
  const count = h('span', { class: 'muted', id: 'runs-count' });

  // --- filter bar
  const q = h('input', { type: 'search', id: 'f-q', placeholder: 'Search session names…', value: filters.q, 'aria-label': 'search' });
  const session = h('input', { type: 'text', id: 'f-session', placeholder: 'session', value: filters.session, list: 'session-names', 'aria-label': 'session' });
  const names = h('datalist', { id: 'session-names' });
  const sel = (id, label, opts, value) => h('select', { id, 'aria-label': label },
    h('option', { value: '', text: `any ${label}` }),
    opts.map((o) => h('option', { value: o, text: o, selected: o === value })));
  const stage = sel('f-stage', 'stage', STAGES, filters.stage);
  const action = sel('f-action', 'action', ACTIONS, filters.action);
  const source = sel('f-source', 'source', SOURCES, filters.source);
  const errors = h('input', { type: 'checkbox', id: 'f-errors', checked: filters.errors === '1' });
  const drift = h('input', { type: 'checkbox', id: 'f-drift', checked: filters.drift === '1' });
  const reset = h('button', { class: 'btn btn-quiet', type: 'button', text: 'Clear', onclick: () => {
    q.value = ''; session.value = ''; stage.value = ''; action.value = ''; source.value = ''; errors.checked = false; drift.checked = false;
    apply();
  } });

  let typing = null;
  function apply() {
    filters.q = q.value.trim();
    filters.session = session.value.trim();
    filters.stage = stage.value;
    filters.action = action.value;
    filters.source = source.value;
    filters.errors = errors.checked ? '1' : '';
    filters.drift = drift.checked ? '1' : '';
    const p = new URLSearchParams();
    for (const k of FILTERS) if (filters[k]) p.set(k, filters[k]);
    const s = p.toString();
    history.replaceState(null, '', s ? `#/?${s}` : '#/');
    load(true);
  }
  q.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(apply, 200); });
  session.addEventListener('change', apply);
  for (const el of [stage, action, source, errors, drift]) el.addEventListener('change', apply);

  root.appendChild(h('section', { class: 'page runs-page' },
    h('div', { class: 'page-head' },
      h('h1', { text: 'Runs' }), count,
      h('div', { class: 'spacer' }),
      compareBtn,
      h('a', { class: 'btn btn-primary', href: '#/play', text: 'Play a session' })),
    h('div', { class: 'filters' },
      q, session, names, stage, action, source,
      h('label', { class: 'check' }, errors, ' errors only'),
      h('label', { class: 'check', title: 'runs of hooksim proxy whose requests differ from hooksim\'s model of Stalwart' }, drift, ' drift only'),
      reset),
    h('div', { class: 'card table-card' },
      h('table', { class: 'runs', id: 'runs-table' },
        h('thead', {}, h('tr', {},
          h('th', { class: 'c-sel' }), h('th', { text: 'Run' }), h('th', { text: 'Session' }),
          h('th', { text: 'Source' }), h('th', { text: 'Outcome' }), h('th', { class: 'num', text: 'Exchanges' }),
          h('th', { class: 'num', text: 'Failures' }), h('th', { text: 'Started' }), h('th', { class: 'num', text: 'Took' }))),
        tbody)),
    status, h('div', { class: 'more' }, more)));

  get('/api/v1/sessions').then((list) => {
    for (const s of list || []) names.appendChild(h('option', { value: s.name }));
  }).catch(() => {});

  function row(run) {
    const check = h('input', { type: 'checkbox', 'aria-label': `select run ${run.id}`, checked: selected.has(run.id), onclick: (e) => {
      e.stopPropagation();
      if (check.checked) selected.add(run.id); else selected.delete(run.id);
      compareBtn.disabled = selected.size !== 2;
    } });
    const href = `#/runs/${run.id}`;
    const sourceText = run.source === 'replay' && run.replay_of ? `replay of #${run.replay_of}` : (run.source || 'script');
    const tr = h('tr', { class: 'run-row', dataset: { runId: run.id }, onclick: (e) => {
      if (e.target.closest('a,input')) return;
      ctx.navigate(href);
    } },
      h('td', { class: 'c-sel' }, check),
      h('td', { class: 'mono' }, h('a', { href, text: `#${run.id}` })),
      h('td', { class: 'session' }, h('a', { href, class: 'session-name', text: run.session || '(unnamed)' }),
        run.error ? h('div', { class: 'row-error', text: run.error }) : null),
      h('td', { class: 'muted', text: sourceText }),
      h('td', {}, badge(run.outcome || 'running', outcomeKind(run.outcome)),
        run.hook_errors ? h('span', { class: 'badge badge-bad hook-errors', title: 'a hook call failed (refused, timeout, a non-2xx status, a body Stalwart cannot parse): the client heard 451 4.3.5 or the hook was skipped', text: 'hook errors' }) : null,
        run.drift ? h('span', { class: 'badge badge-warn drift-count', title: 'drift findings: requests that differ from hooksim\'s model of Stalwart', text: `${run.drift} drift` }) : null),
      h('td', { class: 'num', text: run.exchanges ?? '' }),
      h('td', { class: `num ${run.failures ? 'bad-text' : ''}`, text: run.failures ?? '' }),
      h('td', { title: fmtTime(run.started), dataset: { started: run.started || '' } }, fmtAgo(run.started), h('span', { class: 'muted small', text: ` · ${fmtTime(run.started)}` })),
      h('td', { class: 'num muted', text: run.ended ? fmtSpan(run.started, run.ended) : '…' }));
    return tr;
  }

  function upsert(run, live) {
    const old = rows.get(run.id);
    const tr = row(run);
    if (old) {
      old.replaceWith(tr);
    } else {
      // newest first: insert before the first row with a smaller id
      let before = null;
      for (const r of tbody.children) {
        if (Number(r.dataset.runId) < run.id) { before = r; break; }
      }
      tbody.insertBefore(tr, before);
      if (live) tr.classList.add('flash');
    }
    rows.set(run.id, tr);
    showStatus();
  }

  function showStatus() {
    count.textContent = rows.size ? `${rows.size}${pages.more() ? '+' : ''} shown` : '';
    if (rows.size === 0 && !pages.busy()) {
      clear(status).appendChild(active()
        ? h('span', { text: 'No run matches these filters.' })
        : h('span', {}, 'No runs yet. ', h('a', { href: '#/play', text: 'Play a bundled session' }), ' or run ', h('code', { text: 'hooksim run --url …' }), ' in a terminal: it shows up here live.'));
    } else {
      clear(status);
    }
  }

  const pages = pager('/api/v1/runs', 'runs', FILTERS, filters, (items, fresh) => {
    if (fresh) { clear(tbody); rows.clear(); }
    for (const run of items) upsert(run, false);
    more.hidden = !pages.more();
    showStatus();
  }, (e) => {
    clear(status).appendChild(h('span', { class: 'error-text', text: `Could not load the runs: ${e.message}` }));
  });
  const load = (fresh) => pages.load(fresh);

  let reloadTimer = null;
  const off = ctx.live.on((ev) => {
    if (ev.type === 'reset') { load(true); return; }
    if (!ev.run || !ev.run.id) {
      if (ev.type === 'exchange' && ev.exchange && rows.has(ev.exchange.run_id) && !active()) {
        const td = rows.get(ev.exchange.run_id).children[5];
        if (td) td.textContent = String(Math.max(Number(td.textContent) || 0, ev.exchange.seq || 0));
      }
      return;
    }
    if (active()) {
      // the server knows best what matches: ask again, at most every 300 ms
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => load(true), 300);
      return;
    }
    upsert(ev.run, true);
  });

  load(true);
  const tick = setInterval(() => {
    // keep "x ago" fresh without reloading
    for (const tr of tbody.children) {
      const td = tr.children[7];
      if (td && td.dataset.started) td.firstChild.textContent = fmtAgo(td.dataset.started);
    }
  }, 15000);
  return () => { off(); clearInterval(tick); clearTimeout(reloadTimer); clearTimeout(typing); pages.stop(); };
}
