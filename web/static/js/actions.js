// actions.js: pages that make the server act: play a session, compare two
// runs, edit a hook request and send it.

import { get, post } from './api.js';
import { append, authFields, badge, bodyText, clear, fmtMs, h, outcomeKind, replyClass } from './dom.js';
import { prettyJSON } from './json.js';
import { diffResult, lintBox, tabs } from './run.js';

const STAGES = ['connect', 'ehlo', 'auth', 'mail', 'rcpt', 'data'];
const SCRIPT_MAX = 4 << 20;

function stageBoxes(checked) {
  const boxes = STAGES.map((s) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: s, checked: checked.includes(s), dataset: { stage: s } }), ` ${s}`));
  const wrap = h('div', { class: 'stage-boxes' }, boxes);
  wrap.values = () => boxes.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value);
  return wrap;
}

/** playPage renders #/play: run a bundled or pasted session against a hook. */
export function playPage(root, ctx) {
  const pick = h('select', { id: 'play-session', 'aria-label': 'bundled session' }, h('option', { value: '', text: 'Loading…' }));
  const desc = h('p', { class: 'muted small', id: 'play-desc' });
  const script = h('textarea', { id: 'play-script', rows: '14', spellcheck: 'false', placeholder: 'Paste a session script (YAML), or pick a file below', 'aria-label': 'session script' });
  const file = h('input', { type: 'file', accept: '.yaml,.yml,text/yaml,text/plain', 'aria-label': 'upload a session' });
  const url = h('input', { type: 'url', id: 'play-url', required: true, placeholder: 'http://127.0.0.1:8025/hook', value: ctx.query.get('url') || localStorage.getItem('hooksim.url') || '', 'aria-label': 'hook URL' });
  const stages = stageBoxes(['data']);
  const out = h('div', { id: 'play-out' });
  const playAuth = authFields('play');
  const which = h('div', { class: 'seg' });
  let mode = 'bundled';
  let sessions = [];

  const bundledBox = h('div', { class: 'mode-bundled' }, h('label', {}, h('span', { text: 'Session' }), pick), desc,
    h('details', {}, h('summary', { text: 'Show the script' }), h('pre', { class: 'code', id: 'play-yaml' })));
  const pastedBox = h('div', { class: 'mode-pasted', hidden: true }, script, h('div', {}, file));
  const segBtn = (m, label) => h('button', { type: 'button', class: `seg-btn ${m === mode ? 'active' : ''}`, dataset: { mode: m }, text: label, onclick: () => {
    mode = m;
    for (const b of which.children) b.classList.toggle('active', b.dataset.mode === m);
    bundledBox.hidden = m !== 'bundled';
    pastedBox.hidden = m !== 'pasted';
  } });
  which.append(segBtn('bundled', 'Bundled session'), segBtn('pasted', 'Pasted or uploaded script'));

  file.addEventListener('change', () => {
    const f = file.files && file.files[0];
    if (!f) return;
    if (f.size > SCRIPT_MAX) { clear(out).appendChild(h('div', { class: 'error-box', text: 'That file is larger than 4 MiB.' })); return; }
    f.text().then((t) => { script.value = t; });
  });

  async function showSession() {
    const name = pick.value;
    const s = sessions.find((x) => x.name === name);
    desc.textContent = s ? s.description || '' : (name === '*' ? `Plays all ${sessions.length} bundled sessions, one after another.` : '');
    const pre = document.getElementById('play-yaml');
    if (!pre) return;
    if (!s) { pre.textContent = ''; return; }
    try {
      const res = await fetch(`/api/v1/sessions/${encodeURIComponent(name)}`, { credentials: 'same-origin' });
      pre.textContent = res.ok ? await res.text() : '';
    } catch { pre.textContent = ''; }
  }
  pick.addEventListener('change', showSession);

  get('/api/v1/sessions').then((list) => {
    sessions = list || [];
    append(clear(pick), [h('option', { value: '*', text: `all bundled sessions (${sessions.length})` }),
      sessions.map((s) => h('option', { value: s.name, text: s.name, selected: s.name === ctx.query.get('session') }))]);
    showSession();
  }).catch((e) => { clear(pick).appendChild(h('option', { value: '', text: `could not list: ${e.message}` })); });

  const go = h('button', { class: 'btn btn-primary', type: 'submit', id: 'play-go', text: 'Play' });
  const form = h('form', { class: 'card form', onsubmit: async (e) => {
    e.preventDefault();
    const base = playAuth.add({ url: url.value.trim(), stages: stages.values() });
    if (!base.url) { url.focus(); return; }
    localStorage.setItem('hooksim.url', base.url);
    const bodies = [];
    if (mode === 'pasted') {
      if (!script.value.trim()) { script.focus(); return; }
      bodies.push({ ...base, script: script.value });
    } else if (pick.value === '*') {
      for (const s of sessions) bodies.push({ ...base, session: s.name });
    } else {
      bodies.push({ ...base, session: pick.value });
    }
    go.disabled = true;
    const list = h('ul', { class: 'played' });
    // "Started" only once a run has: a play refused at once says so alone.
    const title = h('h3', { text: 'Starting…' });
    clear(out).append(title, list);
    try {
      for (const b of bodies) {
        const r = await post('/api/v1/play', b);
        for (const rid of r.runs || []) {
          list.appendChild(h('li', {}, h('a', { href: `#/runs/${rid}`, text: `run #${rid}` }), h('span', { class: 'muted', text: ` ${b.session || 'pasted script'}` })));
        }
      }
      title.textContent = 'Started';
      out.appendChild(h('p', { class: 'muted' }, 'The runs go on in the background; ', h('a', { href: '#/', text: 'watch them in the runs list' }), '.'));
    } catch (err) {
      title.textContent = list.children.length ? 'Started, then stopped' : 'Not started';
      out.appendChild(h('div', { class: 'error-box', text: `Could not play: ${err.message}` }));
    } finally {
      go.disabled = false;
    }
  } },
    h('h3', { text: 'What to play' }), which, bundledBox, pastedBox,
    h('h3', { text: 'Against' }),
    h('label', {}, h('span', { text: 'Hook URL' }), url),
    h('div', { class: 'label-row' }, h('span', { text: 'Stages' }), stages),
    playAuth.el,
    h('div', { class: 'form-foot' }, go));

  root.appendChild(h('section', { class: 'page play-page' },
    h('div', { class: 'page-head' }, h('h1', { text: 'Play a session' })),
    h('p', { class: 'muted', text: 'The server plays the session against your hook, records the run, and it shows up in the runs list as it happens.' }),
    form, out));
}

/** comparePage renders #/compare?a=&b=: two runs side by side. */
export function comparePage(root, ctx) {
  const a = h('input', { type: 'number', min: '1', id: 'cmp-a', value: ctx.query.get('a') || '', placeholder: 'run id', 'aria-label': 'run A' });
  const b = h('input', { type: 'number', min: '1', id: 'cmp-b', value: ctx.query.get('b') || '', placeholder: 'run id', 'aria-label': 'run B' });
  const out = h('div', { id: 'compare-out' });
  root.appendChild(h('section', { class: 'page compare-page' },
    h('div', { class: 'page-head' }, h('h1', { text: 'Compare two runs' })),
    h('form', { class: 'card form form-inline', onsubmit: (e) => {
      e.preventDefault();
      if (a.value && b.value) ctx.navigate(`#/compare?a=${Number(a.value)}&b=${Number(b.value)}`);
    } },
      h('label', {}, h('span', { text: 'Run A' }), a), h('label', {}, h('span', { text: 'Run B' }), b),
      h('button', { class: 'btn btn-primary', type: 'submit', text: 'Compare' })),
    out));
  const ia = Number(ctx.query.get('a'));
  const ib = Number(ctx.query.get('b'));
  if (!ia || !ib) {
    out.appendChild(h('p', { class: 'muted', text: 'Pick two runs, e.g. a run and its replay. Tip: tick two runs in the runs list.' }));
    return;
  }
  out.appendChild(h('p', { class: 'muted', text: 'Comparing…' }));
  Promise.all([get(`/api/v1/compare?a=${ia}&b=${ib}`), get(`/api/v1/runs/${ia}?bodies=0`), get(`/api/v1/runs/${ib}?bodies=0`)]).then(([cmp, ra, rb]) => {
    clear(out);
    if (ra.run.session !== rb.run.session) {
      // Two different sessions differ everywhere: say so first.
      out.appendChild(h('div', { class: 'lint-box compare-warning', role: 'note', text:
        `⚠ These runs play different sessions (#${ia}: ${ra.run.session || '(unnamed)'}, #${ib}: ${rb.run.session || '(unnamed)'}): ` +
        'their steps are compared one by one, so most differences come from the sessions, not the hook.' }));
    }
    out.append(diffResult(cmp, ia, null),
      h('div', { class: 'two-col side-by-side' }, compactRun(ra), compactRun(rb)));
  }).catch((e) => {
    clear(out).appendChild(h('div', { class: 'error-box', text: `Could not compare: ${e.message}` }));
  });
}

function compactRun(d) {
  const r = d.run;
  return h('div', { class: 'card compact-run' },
    h('div', { class: 'card-head' },
      h('h3', {}, h('a', { href: `#/runs/${r.id}`, text: `#${r.id}` }), h('span', { text: ` ${r.session}` })),
      badge(r.outcome, outcomeKind(r.outcome))),
    h('ol', { class: 'timeline compact' }, (d.steps || []).map((st) => h('li', { class: 'step' },
      h('div', { class: 'line client' }, h('span', { class: 'who', text: 'C' }), h('span', { class: 'mono', text: st.command || st.kind })),
      (st.exchanges || []).map((ex) => h('div', { class: 'line hook' }, h('span', { class: 'who', text: 'H' }),
        h('span', { class: 'mono small', text: `${ex.stage} HTTP ${(ex.response && ex.response.status) || '-'}` }), ' ',
        ex.outcome ? badge(ex.outcome, outcomeKind(ex.outcome)) : null,
        (ex.modifications || []).map((m) => h('div', { class: 'mono small mod', text: m })))),
      (st.replies && st.replies.length ? st.replies : st.reply ? [st.reply] : []).map((rep) => h('div', { class: `line server ${replyClass(rep)}` },
        h('span', { class: 'who', text: 'S' }), h('span', { class: 'mono', text: rep })))))));
}

/** sendPage renders #/send: edit a hook request (or a recorded one) and send it. */
export function sendPage(root, ctx) {
  const url = h('input', { type: 'url', id: 'send-url', required: true, placeholder: 'http://127.0.0.1:8025/hook', value: localStorage.getItem('hooksim.url') || '', 'aria-label': 'hook URL' });
  const stage = h('select', { id: 'send-stage', 'aria-label': 'stage' }, STAGES.map((s) => h('option', { value: s, text: s, selected: s === 'data' })));
  const headers = h('textarea', { id: 'send-headers', rows: '3', spellcheck: 'false', placeholder: 'X-Extra: value (one per line)', 'aria-label': 'extra headers' });
  const body = h('textarea', { id: 'send-body', rows: '22', spellcheck: 'false', class: 'mono', 'aria-label': 'request body' });
  const timeout = h('input', { type: 'number', id: 'send-timeout', min: '1', value: '30000', 'aria-label': 'timeout' });
  const sendAuth = authFields('send');
  const out = h('div', { id: 'send-out' });
  const note = h('p', { class: 'muted' }, 'Write a request as Stalwart would send it, or start from a recorded one (', h('em', { text: 'Edit & send' }), ' on any exchange).');
  const go = h('button', { class: 'btn btn-primary', type: 'submit', id: 'send-go', text: 'Send' });
  const fmt = h('button', { class: 'btn', type: 'button', text: 'Format JSON', onclick: () => {
    try { body.value = JSON.stringify(JSON.parse(body.value), null, 2); } catch (e) { clear(out).appendChild(h('div', { class: 'error-box', text: `Not JSON: ${e.message}` })); }
  } });

  root.appendChild(h('section', { class: 'page send-page' },
    h('div', { class: 'page-head' }, h('h1', { text: 'Send a hook request' })), note,
    h('form', { class: 'card form', onsubmit: async (e) => {
      e.preventDefault();
      const hd = headers.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
        const i = l.indexOf(':');
        return i > 0 ? [l.slice(0, i).trim(), l.slice(i + 1).trim()] : [l, ''];
      });
      go.disabled = true;
      clear(out).appendChild(h('p', { class: 'muted', text: 'Sending…' }));
      try {
        localStorage.setItem('hooksim.url', url.value.trim());
        const r = await post('/api/v1/send', sendAuth.add({ url: url.value.trim(), stage: stage.value, body: body.value, headers: hd, timeout_ms: Number(timeout.value) || 0 }));
        clear(out).appendChild(sendResult(r));
      } catch (err) {
        clear(out).appendChild(h('div', { class: 'error-box', text: `Could not send: ${err.message}` }));
      } finally {
        go.disabled = false;
      }
    } },
      h('div', { class: 'form-grid' },
        h('label', {}, h('span', { text: 'Hook URL' }), url),
        h('label', {}, h('span', { text: 'Stage' }), stage),
        h('label', {}, h('span', { text: 'Timeout (ms)' }), timeout)),
      h('label', {}, h('span', { text: 'Extra headers' }), headers),
      sendAuth.el,
      h('label', {}, h('span', { text: 'Request body (JSON)' }), body),
      h('div', { class: 'form-foot' }, fmt, go)),
    out));

  const run = Number(ctx.query.get('run'));
  const seq = Number(ctx.query.get('seq'));
  if (run && seq) {
    clear(note).append('Editing the request of exchange ', h('a', { href: `#/runs/${run}?ex=${seq}`, text: `${seq} of run #${run}` }), '. Secrets are not stored: add credentials yourself if the hook needs them.');
    get(`/api/v1/runs/${run}/exchanges/${seq}`).then((d) => {
      // A password (xxxxx) or a query credential (****) was hidden when
      // recorded: ask for it rather than send the marker.
      if (d.url && /:xxxxx@|=\*\*\*\*/.test(d.url)) {
        url.value = '';
        url.placeholder = d.url;
        note.appendChild(h('div', { class: 'lint-box hidden-creds', text: `The recorded URL had credentials, hidden when recorded (${d.url}): type the URL with them.` }));
      } else if (d.url) {
        url.value = d.url;
      }
      stage.value = d.stage || 'data';
      const text = bodyText(d.request);
      try { body.value = JSON.stringify(JSON.parse(text), null, 2); } catch { body.value = text; }
    }).catch((e) => { clear(out).appendChild(h('div', { class: 'error-box', text: `Could not load the exchange: ${e.message}` })); });
  }
}

function sendResult(r) {
  const err = r.error && r.error.class;
  return h('div', { class: 'card send-result' },
    h('div', { class: 'card-head' },
      h('h3', { text: 'Answer' }),
      h('span', { class: 'mono', text: r.status ? `HTTP ${r.status}` : 'no answer' }),
      h('span', { class: 'mono muted', text: fmtMs(r.duration_ms) }),
      r.outcome ? badge(r.outcome, outcomeKind(r.outcome)) : null,
      err ? badge(r.error.class, 'bad') : null),
    err ? h('div', { class: 'error-box', text: r.error.message || r.error.class }) : null,
    r.lints && r.lints.length ? lintBox(r.lints) : null,
    r.reply ? h('div', { class: 'told' }, h('span', { class: 'muted', text: 'The client would be told ' }), h('code', { class: replyClass(r.reply), text: r.reply })) : null,
    tabs([
      ['Response', () => (typeof r.body === 'string' ? prettyJSON(r.body) : h('pre', { class: 'code', text: bodyText(r) }))],
      ['Parsed', () => r.parsed ? prettyJSON(r.parsed) : h('p', { class: 'muted', text: 'Stalwart could not parse this answer.' })],
      ['Headers', () => h('table', { class: 'kv' }, h('tbody', {}, (r.headers || []).map(([n, v]) => h('tr', {}, h('th', { class: 'mono', text: n }), h('td', { class: 'mono', text: v })))))],
    ]));
}
