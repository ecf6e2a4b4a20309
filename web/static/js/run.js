// run.js: one run: its SMTP transcript as a timeline, each hook exchange
// expandable to its request and response, and the run's actions.

import { get, post } from './api.js';
import { append, authFields, badge, bodyText, clear, fmtMs, fmtSpan, fmtTime, h, outcomeKind, replyClass } from './dom.js';
import { diffText, hexDump, prettyJSON } from './json.js';

/** runPage renders #/runs/ID. */
export function runPage(root, ctx) {
  const id = Number(ctx.params[0]);
  const open = new Set(ctx.query.get('ex') ? [Number(ctx.query.get('ex'))] : []);
  const details = new Map(); // seq -> exchange detail (finished runs only)
  let data = null;

  const page = h('section', { class: 'page run-page' });
  root.appendChild(page);
  const head = h('div');
  const actions = h('div', { class: 'actions-bar' });
  const panel = h('div', { class: 'action-panel', id: 'action-panel' });
  const txs = h('div', { class: 'txs' });
  const timeline = h('ol', { class: 'timeline', id: 'timeline' });
  page.append(
    h('nav', { class: 'crumbs' }, h('a', { href: '#/', text: 'Runs' }), ' / ', h('span', { text: `#${id}` })),
    head, actions, panel, txs,
    h('h2', { class: 'section-title', text: 'Transcript' }), timeline);

  let relays = new Map(); // transaction number -> relay, for messages relayed downstream

  async function load() {
    try {
      data = await get(`/api/v1/runs/${id}?bodies=0`);
    } catch (e) {
      clear(head).appendChild(h('div', { class: 'error-box', text: `Could not load run #${id}: ${e.message}` }));
      return;
    }
    relays = new Map();
    if ((data.transactions || []).some((tx) => tx.delivered)) {
      // What became of each queued message's relay (hooksim smtp --relay).
      try {
        const list = await get(`/api/v1/messages?run=${id}&limit=500`);
        for (const m of list.messages || []) if (m.relay) relays.set(m.number, m.relay);
      } catch { /* the cards show without it */ }
    }
    renderHead();
    renderTxs();
    renderTimeline();
  }

  function renderHead() {
    const r = data.run;
    const facts = [
      ['Source', r.source === 'replay' && r.replay_of ? null : (r.source || 'script')],
      ['Started', fmtTime(r.started)],
      ['Took', r.ended ? fmtSpan(r.started, r.ended) : 'running…'],
      ['Exchanges', r.exchanges],
      ['Failures', r.failures],
      [r.source === 'smtp' ? 'Listener' : 'File', r.file],
    ];
    // The outcome is the expectations'; what the client heard is another
    // thing (a run that expects nothing passes though its hook said 451).
    const heard = (data.steps || []).filter((st) => st.kind === 'data' || st.kind === 'bdat' || /^[45]/.test((st.replies || []).slice(-1)[0] || st.reply || ''))
      .map((st) => ({ cmd: st.command || st.kind, reply: (st.replies || []).slice(-1)[0] || st.reply || '' }))
      .filter((x) => x.reply);
    append(clear(head), [
      h('div', { class: 'page-head' },
        h('h1', { id: 'run-title' }, h('span', { text: r.session || '(unnamed)' }), ' ', h('span', { class: 'muted', text: `#${r.id}` })),
        h('span', { class: 'muted small', text: 'expectations' }),
        badge(r.outcome || 'running', outcomeKind(r.outcome)),
        r.hook_errors ? badge('hook errors', 'bad') : null),
      heard.length ? h('div', { class: 'client-heard' }, h('span', { class: 'muted', text: 'The SMTP client heard: ' }),
        heard.map((x) => h('span', { class: 'heard' }, h('span', { class: 'mono muted', text: `${x.cmd} → ` }), h('code', { class: replyClass(x.reply), text: x.reply })))) : null,
      h('dl', { class: 'facts' },
        facts.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => [h('dt', { text: k }), h('dd', { text: String(v) })]),
        r.replay_of ? [h('dt', { text: 'Replay of' }), h('dd', {}, h('a', { href: `#/runs/${r.replay_of}`, text: `#${r.replay_of}` }), ` (${r.replay_mode || 'replay'})`)] : null),
      r.error ? h('div', { class: 'error-box', text: r.error }) : null,
      hooksSummary(data.run.hooks || [])]);
    renderActions();
  }

  function renderActions() {
    const r = data.run;
    append(clear(actions), [
      h('button', { class: 'btn btn-primary', id: 'btn-replay', type: 'button', text: 'Replay…', onclick: () => replayPanel(panel, id, null) }),
      h('div', { class: 'btn-group' },
        h('span', { class: 'group-label', text: 'Export' }),
        ['session', 'curl', 'json'].map((as) => h('a', { class: 'btn', href: `/api/v1/runs/${id}/export?as=${as}`, download: '', text: as }))),
      h('button', { class: 'btn', type: 'button', text: 'Compare with…', onclick: () => comparePanel(panel, id, ctx) }),
      r.replay_of ? h('a', { class: 'btn', href: `#/compare?a=${r.replay_of}&b=${r.id}`, text: `Compare with #${r.replay_of}` }) : null]);
  }

  function renderTxs() {
    clear(txs);
    for (const tx of data.transactions || []) {
      const env = (e) => e ? `${e.from || '<>'} → ${(e.to || []).join(', ')}` : '';
      const changed = JSON.stringify(tx.envelope_before) !== JSON.stringify(tx.envelope_after);
      txs.appendChild(h('a', { class: 'card tx-card', href: `#/runs/${id}/messages/${tx.number}`, dataset: { tx: tx.number } },
        h('div', { class: 'tx-title' },
          h('strong', { text: `Message ${tx.number}` }),
          tx.queue_id ? h('span', { class: 'muted mono', text: ` ${tx.queue_id}` }) : null,
          ' ', badge(tx.delivered ? 'delivered' : 'not delivered', tx.delivered ? 'ok' : 'bad')),
        h('div', { class: 'mono small', text: env(tx.envelope_before) }),
        changed ? h('div', { class: 'mono small changed', text: `now ${env(tx.envelope_after)}` }) : null,
        tx.reply ? h('div', { class: `mono small ${replyClass(tx.reply)}`, text: tx.reply }) : null,
        relayLine(relays.get(tx.number)),
        h('div', { class: 'tx-open', text: 'Open message →' })));
    }
  }

  function renderTimeline() {
    clear(timeline);
    const steps = data.steps || [];
    if (steps.length === 0) {
      timeline.appendChild(h('li', { class: 'muted', text: data.run.outcome === 'running' ? 'Waiting for the first step…' : 'No steps recorded.' }));
    }
    for (const st of steps) timeline.appendChild(stepItem(st));
  }

  function stepItem(st) {
    const li = h('li', { class: `step step-${st.kind || 'cmd'}`, dataset: { step: st.index } });
    const cmd = st.command || st.kind || '';
    const replies = st.replies && st.replies.length ? [...st.replies] : (st.reply ? [st.reply] : []);
    // DATA's 354 comes before the message, and the data hook after it.
    const early = [];
    while (replies.length > 1 && /^354[ -]/.test(replies[0])) early.push(replies.shift());
    const server = (rep) => h('div', { class: `line server ${replyClass(rep)}` },
      h('span', { class: 'who', text: 'S' }), h('span', { class: 'mono', text: rep }));
    if (st.kind === 'close') {
      // The server closed the connection on its own: no client line.
      li.appendChild(h('div', { class: 'line muted small', text: (st.message || '').replace(/^<|>$/g, '') }));
    } else {
      li.appendChild(h('div', { class: 'line client' },
        h('span', { class: 'who', text: 'C' }),
        h('span', { class: 'mono cmd', text: cmd }),
        st.implied ? badge('implied', 'plain') : null,
        st.message && !early.length ? h('span', { class: 'muted small', text: ` ${st.message}` }) : null,
        st.line ? h('span', { class: 'muted small lineno', text: `line ${st.line}` }) : null));
    }
    for (const rep of early) li.appendChild(server(rep));
    if (early.length && st.message) {
      li.appendChild(h('div', { class: 'line client message-line' },
        h('span', { class: 'who', text: 'C' }), h('span', { class: 'muted small', text: st.message })));
    }
    for (const ex of st.exchanges || []) li.appendChild(exchangeCard(ex, st.lints || []));
    for (const rep of replies) li.appendChild(server(rep));
    if (st.closed) li.appendChild(h('div', { class: 'line muted small', text: 'connection closed' }));
    if (st.lints && st.lints.length) li.appendChild(lintBox(st.lints));
    for (const f of st.failures || []) li.appendChild(h('div', { class: 'failure', text: `✗ ${f}` }));
    return li;
  }

  // shown are the lints its step's box already shows: the open exchange
  // does not repeat them.
  function exchangeCard(ex, shown) {
    const card = h('div', { class: 'exchange', dataset: { seq: ex.seq } });
    const body = h('div', { class: 'ex-body' });
    const toggle = () => {
      if (open.has(ex.seq)) { open.delete(ex.seq); card.classList.remove('open'); clear(body); }
      else { open.add(ex.seq); card.classList.add('open'); fill(); }
    };
    async function fill() {
      clear(body).appendChild(h('p', { class: 'muted', text: 'Loading the exchange…' }));
      try {
        let d = details.get(ex.seq);
        if (!d) {
          d = await get(`/api/v1/runs/${id}/exchanges/${ex.seq}`);
          if (data.run.outcome !== 'running') details.set(ex.seq, d);
        }
        if (!open.has(ex.seq)) return;
        clear(body).appendChild(exchangeDetail(d, id, shown));
      } catch (e) {
        clear(body).appendChild(h('div', { class: 'error-box', text: `Could not load exchange ${ex.seq}: ${e.message}` }));
      }
    }
    const err = ex.error && ex.error.class;
    append(card, [
      h('button', { class: 'ex-head', type: 'button', 'aria-expanded': open.has(ex.seq) ? 'true' : 'false', onclick: toggle },
        h('span', { class: 'caret', text: '▸' }),
        h('span', { class: 'ex-label', text: `hook · ${ex.stage}` }),
        ex.hook ? h('span', { class: 'muted small', text: ex.hook }) : null,
        h('span', { class: 'spacer' }),
        ex.modifications && ex.modifications.length ? badge(`${ex.modifications.length} modification${ex.modifications.length > 1 ? 's' : ''}`, 'info') : null,
        ex.lints && ex.lints.length ? badge(`⚠ ${ex.lints.length} lint${ex.lints.length > 1 ? 's' : ''}`, 'warn') : null,
        err ? badge(ex.error.class, 'bad') : null,
        ex.effect ? badge(ex.effect, 'warn') : null,
        ex.outcome ? badge(ex.outcome, outcomeKind(ex.outcome)) : null,
        h('span', { class: 'mono small status', text: ex.response && ex.response.status ? `HTTP ${ex.response.status}` : 'no answer' }),
        h('span', { class: 'mono small muted', text: fmtMs(ex.duration_ms) })),
      body]);
    if (ex.modifications && ex.modifications.length) {
      card.insertBefore(h('ul', { class: 'mods-inline' }, ex.modifications.map((m) => h('li', { class: 'mono small', text: m }))), body);
    }
    if (open.has(ex.seq)) { card.classList.add('open'); fill(); }
    return card;
  }

  let timer = null;
  const off = ctx.live.on((ev) => {
    const rid = ev.run ? ev.run.id : ev.exchange ? ev.exchange.run_id : ev.message ? ev.message.run_id : 0;
    if (ev.type === 'reset' || rid === id) {
      clearTimeout(timer);
      timer = setTimeout(load, 150);
    }
  });
  load();
  return () => { off(); clearTimeout(timer); };
}

/** relayLine shows a message's relay on its card; a failure in words, with the reply. */
function relayLine(r) {
  if (!r) return null;
  return h('div', { class: `small tx-relay${r.ok ? '' : ' relay-failure'}` },
    badge(r.ok ? 'relayed' : 'relay failed', r.ok ? 'ok' : 'bad'), ' ',
    h('span', { class: 'mono', text: `${r.to}: ${r.reply || '(no reply)'}` }));
}

function hooksSummary(hooks) {
  if (!hooks.length) return null;
  return h('details', { class: 'hooks' },
    h('summary', { text: `${hooks.length} hook${hooks.length > 1 ? 's' : ''} configured` }),
    prettyJSON(hooks));
}

/**
 * lintBox calls out protocol lints in a warning style; drift findings (a
 * real Stalwart's request, through hooksim proxy, that differs from
 * hooksim's model) get a box of their own.
 */
export function lintBox(lints) {
  const drift = lints.filter((l) => l.code === 'drift');
  const other = lints.filter((l) => l.code !== 'drift');
  const list = (ls) => h('ul', {}, ls.map((l) => h('li', {},
    h('code', { text: l.code || 'lint' }), l.path ? h('span', { class: 'mono muted', text: ` ${l.path}` }) : null,
    h('span', { text: ` ${l.message || ''}` }),
    l.count > 1 ? h('span', { class: 'muted', text: ` (${l.count} times)` }) : null,
    l.fix ? h('span', { class: 'lint-fix', text: ` Fix: ${l.fix}` }) : null)));
  const boxes = [];
  if (drift.length) {
    boxes.push(h('div', { class: 'lint-box drift-box', role: 'note' },
      h('div', { class: 'lint-title', text: `⚠ ${drift.length === 1 ? 'Drift' : `${drift.length} drift findings`}: this request differs from hooksim's model of Stalwart v0.16.18` }),
      list(drift)));
  }
  if (other.length) {
    boxes.push(h('div', { class: 'lint-box', role: 'note' },
      h('div', { class: 'lint-title', text: `⚠ ${other.length === 1 ? 'Lint' : `${other.length} lints`}: Stalwart would read this differently than you may expect` }),
      list(other)));
  }
  return boxes.length === 1 ? boxes[0] : h('div', {}, boxes);
}

/** tabs builds a tab strip; items are [label, () => Node]. */
export function tabs(items, cls) {
  const strip = h('div', { class: 'tabs', role: 'tablist' });
  const pane = h('div', { class: 'tab-pane' });
  const buttons = items.map(([label, make], i) => h('button', { class: 'tab', type: 'button', role: 'tab', dataset: { tab: label.toLowerCase() }, text: label, onclick: () => pick(i) }));
  function pick(i) {
    buttons.forEach((b, j) => { b.classList.toggle('active', i === j); b.setAttribute('aria-selected', i === j ? 'true' : 'false'); });
    clear(pane).appendChild(items[i][1]());
  }
  strip.append(...buttons);
  pick(0);
  return h('div', { class: `tabbed ${cls || ''}` }, strip, pane);
}

function headerTable(rows) {
  if (!rows || !rows.length) return h('p', { class: 'muted', text: 'none' });
  return h('table', { class: 'kv' }, h('tbody', {}, rows.map(([n, v]) => h('tr', {}, h('th', { class: 'mono', text: n }), h('td', { class: 'mono', text: v })))));
}

function bodyView(obj) {
  if (obj && typeof obj.body === 'string') return prettyJSON(obj.body);
  if (obj && typeof obj.body_base64 === 'string') return h('div', {}, h('p', { class: 'muted small', text: 'Not UTF-8: shown as bytes.' }), hexDump(bodyText(obj)));
  return h('p', { class: 'muted', text: 'No body.' });
}

function rawView(obj, href) {
  const wrap = h('div', { class: 'raw' });
  wrap.appendChild(h('div', { class: 'raw-bar' }, h('a', { href, target: '_blank', rel: 'noopener', text: 'open the exact bytes' })));
  if (obj && typeof obj.body === 'string') wrap.appendChild(h('pre', { class: 'code raw-text', text: obj.body }));
  else wrap.appendChild(hexDump(bodyText(obj)));
  return wrap;
}

/**
 * exchangeDetail shows one exchange: meta, lints (but those in shown,
 * already on the page), what the client was told, request and response.
 */
export function exchangeDetail(d, runID, shown = []) {
  const seen = new Set(shown.map((l) => `${l.code}\u0000${l.path || ''}\u0000${l.message}`));
  const lints = (d.lints || []).filter((l) => !seen.has(`${l.code}\u0000${l.path || ''}\u0000${l.message}`));
  const req = d.request || {};
  const res = d.response || {};
  const base = `/api/v1/runs/${runID}/exchanges/${d.seq}`;
  const meta = [
    ['URL', d.url], ['HTTP', d.http_version], ['Status', res.status ? String(res.status) : 'no answer'], ['Latency', fmtMs(d.duration_ms)],
    ['Started', fmtTime(d.started)], ['Outcome', d.outcome], ['Effect', d.effect],
  ].filter(([, v]) => v);
  return h('div', { class: 'ex-detail' },
    h('dl', { class: 'facts small' }, meta.map(([k, v]) => [h('dt', { text: k }), h('dd', { class: 'mono', text: v })])),
    d.error && d.error.class ? h('div', { class: 'error-box' }, h('strong', { text: d.error.class }), ` ${d.error.message || ''}`) : null,
    lints.length ? lintBox(lints) : null,
    d.reply ? h('div', { class: 'told' }, h('span', { class: 'muted', text: 'The client was told ' }), h('code', { class: replyClass(d.reply), text: d.reply })) : null,
    d.modifications && d.modifications.length ? h('div', { class: 'mods' }, h('div', { class: 'muted small', text: 'Modifications applied' }),
      h('ul', {}, d.modifications.map((m) => h('li', { class: 'mono', text: m })))) : null,
    tabs([
      ['Request', () => bodyView(req)],
      ['Response', () => bodyView(res)],
      ['Parsed', () => d.parsed ? prettyJSON(d.parsed) : h('p', { class: 'muted', text: 'Stalwart could not parse this answer.' })],
      ['Raw', () => h('div', { class: 'two-col' },
        h('div', {}, h('h4', { text: 'Request' }), rawView(req, `${base}/raw?part=request`)),
        h('div', {}, h('h4', { text: 'Response' }), rawView(res, `${base}/raw?part=response`)))],
      ['Headers', () => h('div', { class: 'two-col' },
        h('div', {}, h('h4', { text: 'Request headers' }), headerTable(req.headers)),
        h('div', {}, h('h4', { text: `Response headers${res.status ? ` (HTTP ${res.status})` : ''}` }), headerTable(res.headers)))],
    ], 'ex-tabs'),
    h('div', { class: 'ex-actions' },
      h('a', { class: 'btn', href: `#/send?run=${runID}&seq=${d.seq}`, text: 'Edit & send…' }),
      h('button', { class: 'btn', type: 'button', text: 'Replay this exchange…', onclick: (e) => {
        e.stopPropagation();
        const box = e.target.closest('.ex-detail').querySelector('.ex-replay');
        if (box && !box.firstChild) exchangeReplayForm(box, runID, d.seq);
      } })),
    h('div', { class: 'ex-replay' }));
}

/** exchangeReplayForm re-sends one recorded request (to the recorded hook,
 * or another URL) and shows what changed in the answer. */
function exchangeReplayForm(box, runID, seq) {
  const url = h('input', { type: 'url', class: 'ex-replay-url', placeholder: 'the recorded hook URL', 'aria-label': 'hook URL' });
  const out = h('div', { class: 'replay-out' });
  const go = h('button', { class: 'btn btn-primary', type: 'submit', text: 'Re-send' });
  const form = h('form', { class: 'card form', onsubmit: async (e) => {
    e.preventDefault();
    go.disabled = true;
    clear(out).appendChild(h('p', { class: 'muted', text: 'Re-sending the recorded request…' }));
    try {
      const r = await post(`/api/v1/runs/${runID}/exchanges/${seq}/replay`, { url: url.value.trim() });
      const ex = r.exchange || {};
      clear(out).appendChild(h('div', {},
        h('p', {}, badge(r.equal ? 'same answer' : `${r.differences} difference${r.differences === 1 ? '' : 's'}`, r.equal ? 'ok' : 'warn'), ' ',
          h('span', { class: 'muted', text: `HTTP ${ex.status || 'no answer'}, ${ex.outcome || ''}, ${fmtMs(ex.duration_ms)}` })),
        ex.reply ? h('div', { class: 'told' }, h('span', { class: 'muted', text: 'The client would be told ' }), h('code', { class: replyClass(ex.reply), text: ex.reply })) : null,
        r.equal ? null : diffText(r.text)));
    } catch (err) {
      clear(out).appendChild(h('div', { class: 'error-box', text: String(err.message || err) }));
    } finally {
      go.disabled = false;
    }
  } },
  h('div', { class: 'form-row' }, h('label', { text: 'Hook URL ' }), url, go));
  append(box, [form, out]);
}

/** replayPanel opens the replay form in panel; stage limits it to one stage. */
export function replayPanel(panel, runID, stage) {
  const mode = h('select', { id: 'replay-mode', 'aria-label': 'mode' },
    h('option', { value: 'resimulate', text: 'resimulate: play the session again, building requests anew' }),
    h('option', { value: 'exact', text: 'exact: re-send the recorded requests byte for byte' }));
  const url = h('input', { type: 'url', id: 'replay-url', placeholder: 'the recorded hook URL', 'aria-label': 'hook URL' });
  const stages = h('input', { type: 'text', id: 'replay-stages', placeholder: 'all recorded stages', value: stage || '', 'aria-label': 'stages' });
  const auth = authFields('replay');
  const out = h('div', { class: 'replay-out', id: 'replay-out' });
  const go = h('button', { class: 'btn btn-primary', type: 'submit', id: 'replay-go', text: 'Replay' });
  const form = h('form', { class: 'card form', onsubmit: async (e) => {
    e.preventDefault();
    go.disabled = true;
    clear(out).appendChild(h('p', { class: 'muted', text: 'Replaying…' }));
    try {
      const body = auth.add({ mode: mode.value, url: url.value.trim() });
      const st = stages.value.split(',').map((s) => s.trim()).filter(Boolean);
      if (st.length) body.stages = st;
      const r = await post(`/api/v1/runs/${runID}/replay`, body);
      clear(out).appendChild(diffResult(r, runID, r.replay_run));
    } catch (err) {
      clear(out).appendChild(h('div', { class: 'error-box', text: `Replay failed: ${err.message}` }));
    } finally {
      go.disabled = false;
    }
  } },
    h('div', { class: 'form-head' }, h('h3', { text: stage ? `Replay the ${stage} stage of run #${runID}` : `Replay run #${runID}` }),
      h('button', { class: 'btn btn-quiet', type: 'button', text: '✕', 'aria-label': 'close', onclick: () => clear(panel) })),
    h('label', {}, h('span', { text: 'Mode' }), mode),
    h('label', {}, h('span', { text: 'Hook URL' }), url),
    h('label', {}, h('span', { text: 'Stages' }), stages),
    auth.el,
    h('div', { class: 'form-foot' }, go),
    out);
  clear(panel).appendChild(form);
  url.focus();
}

/** diffResult shows a compare answer: equal or the differences, with links. */
export function diffResult(r, a, b) {
  const same = r.equal;
  return h('div', { class: `diff-result ${same ? 'same' : 'differs'}` },
    h('div', { class: 'diff-head' },
      badge(same ? 'same answers' : `${r.differences} difference${r.differences === 1 ? '' : 's'}`, same ? 'ok' : 'warn'),
      b ? h('a', { href: `#/runs/${b}`, text: ` replay run #${b}` }) : null,
      b ? h('a', { class: 'btn btn-small', href: `#/compare?a=${a}&b=${b}`, text: 'side by side' }) : null),
    r.text ? diffText(r.text) : h('p', { class: 'muted', text: same ? 'The hook answered the same way.' : '' }));
}

function comparePanel(panel, runID, ctx) {
  const other = h('input', { type: 'number', min: '1', placeholder: 'run id', 'aria-label': 'other run', id: 'compare-with' });
  clear(panel).appendChild(h('form', { class: 'card form form-inline', onsubmit: (e) => {
    e.preventDefault();
    if (other.value) ctx.navigate(`#/compare?a=${runID}&b=${Number(other.value)}`);
  } },
    h('label', {}, h('span', { text: `Compare #${runID} with run` }), other),
    h('button', { class: 'btn btn-primary', type: 'submit', text: 'Compare' }),
    h('button', { class: 'btn btn-quiet', type: 'button', text: '✕', onclick: () => clear(panel) })));
  other.focus();
}
