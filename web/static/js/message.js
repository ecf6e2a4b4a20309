// message.js: one message of a run: original vs final, header and body
// diff, MIME tree, text and HTML preview, .eml download.

import { get } from './api.js';
import { badge, bodyText, clear, fmtBytes, fmtTime, h, replyClass } from './dom.js';
import { tabs } from './run.js';

// The HTML preview runs with no scripts (sandbox without allow-scripts) and
// may load nothing from the network.
const PREVIEW_CSP = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:";

/** messagePage renders #/runs/ID/messages/N. */
export function messagePage(root, ctx) {
  const id = Number(ctx.params[0]);
  const n = Number(ctx.params[1]);
  const page = h('section', { class: 'page message-page' },
    h('nav', { class: 'crumbs' }, h('a', { href: '#/', text: 'Runs' }), ' / ', h('a', { href: `#/runs/${id}`, text: `#${id}` }), ' / ', h('span', { text: `Message ${n}` })));
  const body = h('div', {}, h('p', { class: 'muted', text: 'Loading the message…' }));
  page.appendChild(body);
  root.appendChild(page);

  get(`/api/v1/runs/${id}/messages/${n}`).then((m) => {
    clear(body).append(...render(m, id, n));
  }).catch((e) => {
    clear(body).appendChild(h('div', { class: 'error-box', text: `Could not load message ${n} of run #${id}: ${e.message}` }));
  });
}

function envText(e) {
  if (!e) return '';
  return `MAIL FROM:<${e.from || ''}>  RCPT TO: ${(e.to || []).map((t) => `<${t}>`).join(', ')}`;
}

function headerValue(msg, name) {
  const lower = name.toLowerCase();
  const hit = ((msg && msg.headers) || []).find(([k]) => String(k).toLowerCase() === lower);
  return hit ? hit[1] : '';
}

function render(m, id, n) {
  const base = `/api/v1/runs/${id}/messages/${n}/eml`;
  const subject = m.subject_text || headerValue(m.final || m.original, 'Subject');
  const envChanged = JSON.stringify(m.envelope_before) !== JSON.stringify(m.envelope_after);
  const changes = (m.header_diff || []).filter((d) => d.op !== 'same').length + (m.body_diff || []).filter((d) => d.op === '+' || d.op === '-').length;
  const out = [
    h('div', { class: 'page-head' },
      h('h1', { id: 'message-title' }, h('span', { text: subject || `Message ${n}` })),
      badge(m.delivered ? 'delivered' : 'not delivered', m.delivered ? 'ok' : 'bad'),
      m.queue_id ? h('span', { class: 'mono muted', text: m.queue_id }) : null,
      h('div', { class: 'spacer' }),
      h('a', { class: 'btn', href: `${base}?which=original`, download: '', id: 'dl-original', text: '⤓ original .eml' }),
      m.final ? h('a', { class: 'btn', href: `${base}?which=final`, download: '', id: 'dl-final', text: '⤓ final .eml' }) : null,
      m.final && m.queued_headers ? h('a', { class: 'btn', href: `${base}?which=queued`, download: '', id: 'dl-queued',
        title: 'The message as the server queued it: its own headers, then the final message', text: '⤓ queued .eml' }) : null),
    h('dl', { class: 'facts' },
      m.time ? [h('dt', { text: m.delivered ? 'Queued' : 'Ended' }), h('dd', {}, h('time', { datetime: m.time, text: fmtTime(m.time) }))] : null,
      h('dt', { text: 'Envelope' }), h('dd', { class: 'mono', text: envText(m.envelope_before) }),
      envChanged ? [h('dt', { text: 'After hooks' }), h('dd', { class: 'mono changed', text: envText(m.envelope_after) })] : null,
      m.reply ? [h('dt', { text: 'Reply' }), h('dd', { class: `mono ${replyClass(m.reply)}`, text: m.reply })] : null,
      h('dt', { text: 'Size' }), h('dd', { text: `${fmtBytes(m.original && m.original.size)}${m.final ? ` → ${fmtBytes(m.final.size)}` : ''}` }),
      m.relay ? [h('dt', { text: 'Relay' }), relayFact(m.relay)] : null),
  ];
  if (m.queued_headers && m.queued_headers.length) {
    out.push(h('details', { class: 'card queued-headers' },
      h('summary', { text: `Headers the server wrote when it queued the message (${m.queued_headers.length})` }),
      h('table', { class: 'kv' }, h('tbody', {}, m.queued_headers.map(([k, v]) => h('tr', {}, h('th', { class: 'mono', text: k }), h('td', { class: 'mono', text: v })))))));
  }
  if (!m.final) {
    out.push(h('div', { class: 'note', text: 'The message was not queued, so there is no final version: showing the original only.' }));
  } else if (changes === 0) {
    out.push(h('div', { class: 'note', text: 'The hooks did not change the message.' }));
  }
  if (m.final) {
    out.push(h('h2', { class: 'section-title', text: 'What the hooks changed' }),
      h('div', { class: 'card' }, headerDiff(m.header_diff || [])),
      bodyDiff(m.body_diff || []));
  }
  const views = [];
  if (m.final) views.push(['Final', () => messageView(m.final, `${base}?which=final`)]);
  views.push(['Original', () => messageView(m.original, `${base}?which=original`)]);
  out.push(h('h2', { class: 'section-title', text: 'Message' }), tabs(views, 'msg-tabs'));
  return out;
}

/** relayFact shows a relay's result; a failed one is marked in words, not colour alone. */
function relayFact(r) {
  return h('dd', { id: 'relay', class: r.ok ? '' : 'relay-failure' },
    badge(r.ok ? ((r.reply || '').includes('(refused: ') ? 'relayed, some recipients refused' : 'relayed') : 'relay failed', r.ok ? 'ok' : 'bad'), ' ',
    h('span', { text: `to ${r.to}${r.at ? ` at ${fmtTime(r.at)}` : ''}: ` }),
    h('span', { class: `mono ${r.ok ? replyClass(r.reply) : 'reply-perm'}`, text: r.reply || '(no reply)' }));
}

function headerDiff(diff) {
  const showAll = h('input', { type: 'checkbox', id: 'hd-all' });
  const tbody = h('tbody');
  function fill() {
    clear(tbody);
    for (const d of diff) {
      if (d.op === 'same' && !showAll.checked) continue;
      const sign = { same: ' ', added: '+', removed: '−', changed: '~' }[d.op] || '?';
      tbody.appendChild(h('tr', { class: `hd-${d.op}`, dataset: { header: d.name } },
        h('td', { class: 'mono sign', text: sign }),
        h('th', { class: 'mono', text: d.name }),
        h('td', { class: 'mono' },
          d.op === 'changed' ? [h('del', { text: d.before || '' }), h('br'), h('ins', { text: d.after || '' })]
            : d.op === 'removed' ? h('del', { text: d.before || '' })
              : d.op === 'added' ? h('ins', { text: d.after || '' })
                : h('span', { text: d.after ?? d.before ?? '' }))));
    }
    if (!tbody.firstChild) tbody.appendChild(h('tr', {}, h('td', { colspan: '3', class: 'muted', text: 'No header changed.' })));
  }
  showAll.addEventListener('change', fill);
  fill();
  return h('div', { class: 'header-diff' },
    h('div', { class: 'card-head' }, h('h3', { text: 'Headers' }), h('label', { class: 'check small' }, showAll, ' show unchanged')),
    h('table', { class: 'kv diff-table', id: 'header-diff' }, tbody));
}

function bodyDiff(diff) {
  const changed = diff.some((d) => d.op === '+' || d.op === '-');
  const pre = h('pre', { class: 'code diff', id: 'body-diff' });
  for (const d of diff) {
    const cls = d.op === '+' ? 'd-add' : d.op === '-' ? 'd-del' : 'd-same';
    pre.appendChild(h('span', { class: `d-line ${cls}`, text: `${d.op === ' ' ? ' ' : d.op} ${d.text}` }));
    pre.appendChild(document.createTextNode('\n'));
  }
  return h('div', { class: 'card' },
    h('div', { class: 'card-head' }, h('h3', { text: 'Body' })),
    changed ? pre : h('p', { class: 'muted', text: 'The body is unchanged.' }));
}

/** messageView shows one message; eml is where its whole source is, loaded when Source opens. */
function messageView(msg, eml) {
  if (!msg) return h('p', { class: 'muted', text: 'No message.' });
  const preview = h('div', { class: 'preview' });
  const tree = h('ul', { class: 'mime-tree' });
  const parts = [];
  (function walk(p, ul) {
    if (!p) return;
    parts.push(p);
    const li = h('li', {},
      h('button', { type: 'button', class: 'part', onclick: () => show(p) },
        h('span', { class: 'mono', text: p.content_type || 'text/plain' }),
        p.filename ? h('span', { class: 'filename', text: ` ${p.filename}` }) : null,
        p.is_attachment ? badge('attachment', 'info') : null,
        p.charset ? h('span', { class: 'muted small', text: ` ${p.charset}` }) : null,
        h('span', { class: 'muted small', text: ` ${fmtBytes(p.size)}` })));
    ul.appendChild(li);
    if (p.children && p.children.length) {
      const sub = h('ul');
      li.appendChild(sub);
      for (const c of p.children) walk(c, sub);
    }
  })(msg.mime, tree);

  function show(p) {
    clear(preview);
    const ct = String(p.content_type || '').toLowerCase();
    if (typeof p.text !== 'string' || p.text === '') {
      preview.appendChild(h('p', { class: 'muted', text: p.is_attachment ? `Attachment ${p.filename || ''} (${fmtBytes(p.size)}): no preview.` : 'No text in this part.' }));
      return;
    }
    if (ct.startsWith('text/html')) {
      const frame = h('iframe', { class: 'html-preview', sandbox: '', referrerpolicy: 'no-referrer', title: 'HTML preview (no scripts, no remote content)' });
      frame.srcdoc = `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${PREVIEW_CSP}">${p.text}`;
      preview.append(h('div', { class: 'muted small', text: 'HTML preview: scripts and remote content are blocked.' }), frame);
    } else {
      preview.appendChild(h('pre', { class: 'code text-preview', text: p.text }));
    }
  }
  const first = parts.find((p) => String(p.content_type || '').toLowerCase().startsWith('text/html') && p.text)
    || parts.find((p) => typeof p.text === 'string' && p.text) || parts[0];
  if (first) show(first);
  else preview.appendChild(h('pre', { class: 'code text-preview', text: bodyText(msg) }));

  return h('div', { class: 'msg-view' },
    msg.warnings && msg.warnings.length ? h('div', { class: 'lint-box' }, h('div', { class: 'lint-title', text: 'Parser warnings' }), h('ul', {}, msg.warnings.map((w) => h('li', { text: w })))) : null,
    h('div', { class: 'two-col' },
      h('div', { class: 'card' }, h('h3', { text: 'Headers' }),
        h('table', { class: 'kv' }, h('tbody', {}, (msg.headers || []).map(([k, v]) => h('tr', {}, h('th', { class: 'mono', text: k }), h('td', { class: 'mono', text: v })))))),
      h('div', {},
        h('div', { class: 'card' }, h('h3', { text: 'MIME structure' }), tree),
        h('div', { class: 'card' }, h('h3', { text: 'Preview' }), preview))),
    sourceView(eml));
}

// sourceView is the whole message, headers and body, as received: loaded
// from its .eml when opened, so that a big message is not sent twice.
function sourceView(eml) {
  const pre = h('pre', { class: 'code text-preview source', text: 'Loading…' });
  let loaded = false;
  return h('details', { class: 'card msg-source', ontoggle: (e) => {
    if (!e.target.open || loaded) return;
    loaded = true;
    fetch(eml).then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((t) => { pre.textContent = t; })
      .catch((err) => { pre.textContent = `Could not load the source: ${err.message}`; });
  } }, h('summary', { text: 'Source' }), pre);
}
