// messages.js: the queued messages of every run, newest first, live, as a
// mail catcher's inbox (hooksim smtp records each message it queues).

import { pager } from './pager.js';
import { badge, clear, fmtAgo, fmtBytes, fmtTime, h } from './dom.js';

const SOURCES = ['smtp', 'script', 'replay'];
const FILTERS = ['q', 'source'];

/** messagesPage renders #/messages : every queued message, newest first. */
export function messagesPage(root, ctx) {
  const filters = {};
  for (const k of FILTERS) filters[k] = ctx.query.get(k) || '';
  const active = () => FILTERS.some((k) => filters[k]);

  const rows = new Map(); // message id -> <li>

  const list = h('ol', { class: 'inbox', id: 'inbox', 'aria-labelledby': 'messages-title' });
  const status = h('p', { class: 'muted list-status', role: 'status' });
  const count = h('span', { class: 'muted', id: 'messages-count' });
  const more = h('button', { class: 'btn', type: 'button', hidden: true, onclick: () => load(false), text: 'Load older messages' });

  const q = h('input', { type: 'search', id: 'm-q', placeholder: 'Search sender, recipients, subject…', value: filters.q, 'aria-label': 'Search sender, recipients and subject' });
  const source = h('select', { id: 'm-source', 'aria-label': 'Source' },
    h('option', { value: '', text: 'any source' }),
    SOURCES.map((s) => h('option', { value: s, text: s === 'smtp' ? 'smtp (hooksim smtp)' : s, selected: s === filters.source })));
  const reset = h('button', { class: 'btn btn-quiet', type: 'button', text: 'Clear', onclick: () => {
    q.value = ''; source.value = '';
    apply();
  } });

  let typing = null;
  function apply() {
    filters.q = q.value.trim();
    filters.source = source.value;
    const p = new URLSearchParams();
    for (const k of FILTERS) if (filters[k]) p.set(k, filters[k]);
    const s = p.toString();
    history.replaceState(null, '', s ? `#/messages?${s}` : '#/messages');
    load(true);
  }
  q.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(apply, 200); });
  source.addEventListener('change', apply);

  root.appendChild(h('section', { class: 'page messages-page' },
    h('div', { class: 'page-head' },
      h('h1', { id: 'messages-title', text: 'Messages' }), count),
    h('p', { class: 'muted small intro', text: 'Every message a session queued, newest first: what a mail catcher keeps. Messages hooksim smtp queues appear here as they arrive.' }),
    h('div', { class: 'filters', role: 'search' }, q, source, reset),
    h('div', { class: 'card table-card' }, list),
    status, h('div', { class: 'more' }, more)));

  function row(m) {
    const href = `#/runs/${m.run_id}/messages/${m.number}`;
    const to = (m.to || []).join(', ');
    const from = m.from === '' ? '<>' : (m.from || '');
    const r = m.relay;
    const li = h('li', { class: `msg-row${r && !r.ok ? ' relay-bad' : ''}`, dataset: { messageId: m.id }, onclick: (e) => {
      if (e.target.closest('a,button')) return;
      ctx.navigate(href);
    } },
      h('div', { class: 'msg-main' },
        h('a', { class: 'msg-subject', href, text: m.subject_text || m.subject || '(no subject)' }),
        h('div', { class: 'msg-env' },
          h('span', { class: 'muted', text: 'From ' }), h('span', { class: 'mono msg-from', text: from }),
          h('span', { class: 'muted', text: ' to ' }), h('span', { class: 'mono msg-to', text: to || '(no recipient)' })),
        r && !r.ok ? h('div', { class: 'relay-failure' },
          h('strong', { text: 'Relay failed' }), ` to ${r.to}: `, h('span', { class: 'mono msg-relay-reply', text: r.reply || '(no reply)' })) : null),
      h('div', { class: 'msg-meta' },
        h('time', { datetime: m.time, title: fmtTime(m.time), text: fmtAgo(m.time) }),
        h('span', { class: 'muted', text: fmtBytes(m.size) }),
        m.source !== 'smtp' ? h('span', { class: 'muted small', text: m.source }) : null,
        r ? badge(r.ok ? ((r.reply || '').includes('(refused: ') ? 'relayed, some recipients refused' : 'relayed') : 'relay failed', r.ok ? 'ok' : 'bad') : null,
        r && r.ok ? h('span', { class: 'muted small mono msg-relay-reply', title: `relayed to ${r.to}`, text: r.reply }) : null,
        h('a', { class: 'btn btn-small msg-eml', href: m.eml, download: '', 'aria-label': `Download “${m.subject_text || m.subject || 'no subject'}” as .eml`, text: '⤓ .eml' })));
    return li;
  }

  function upsert(m, live) {
    const old = rows.get(m.id);
    const li = row(m);
    if (old) {
      old.replaceWith(li);
    } else {
      // newest first: before the first row with a smaller id
      let before = null;
      for (const r of list.children) {
        if (Number(r.dataset.messageId) < m.id) { before = r; break; }
      }
      list.insertBefore(li, before);
      if (live) li.classList.add('flash');
    }
    rows.set(m.id, li);
    showStatus();
  }

  function showStatus() {
    count.textContent = rows.size ? `${rows.size}${pages.more() ? '+' : ''} shown` : '';
    if (rows.size === 0 && !pages.busy()) {
      clear(status).appendChild(active()
        ? h('span', { text: 'No message matches these filters.' })
        : h('span', {}, 'No message queued yet. Run ', h('code', { text: 'hooksim smtp' }), ' and send mail to it, or play a session: each message queued shows up here live.'));
    } else {
      clear(status);
    }
  }

  const pages = pager('/api/v1/messages', 'messages', FILTERS, filters, (items, fresh) => {
    if (fresh) { clear(list); rows.clear(); }
    for (const m of items) upsert(m, false);
    more.hidden = !pages.more();
    showStatus();
  }, (e) => {
    clear(status).appendChild(h('span', { class: 'error-text', text: `Could not load the messages: ${e.message}` }));
  });
  const load = (fresh) => pages.load(fresh);

  let reloadTimer = null;
  const off = ctx.live.on((ev) => {
    if (ev.type === 'reset') { load(true); return; }
    if (!ev.message || !ev.message.id) return;
    if (ev.type === 'message-relayed') {
      // A relay changes no filter's answer: update the row if it is shown.
      if (rows.has(ev.message.id)) upsert(ev.message, false);
      return;
    }
    if (ev.type !== 'message-queued') return;
    if (active()) {
      // the server knows best what matches: ask again, at most every 300 ms
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => load(true), 300);
      return;
    }
    upsert(ev.message, true);
  });

  load(true);
  const tick = setInterval(() => {
    for (const t of list.querySelectorAll('time[datetime]')) t.textContent = fmtAgo(t.getAttribute('datetime'));
  }, 15000);
  return () => { off(); clearInterval(tick); clearTimeout(reloadTimer); clearTimeout(typing); pages.stop(); };
}
