// dom.js: tiny helpers to build DOM nodes safely. Text is always inserted
// with textContent or text nodes, never parsed as HTML.

/**
 * h builds an element. attrs may hold: class, text, title, href, on* (functions),
 * dataset (object), and any other attribute (set with setAttribute).
 * children: nodes, strings (text nodes), arrays, null/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

/** append adds children (nodes, strings, nested arrays) to el. */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

/** clear removes every child of el. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** fmtTime shows an RFC 3339 time as local date and time. */
export function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  if (isNaN(d)) return String(s);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** fmtAgo shows how long ago an RFC 3339 time was. */
export function fmtAgo(s) {
  const d = new Date(s);
  if (isNaN(d)) return '';
  const sec = Math.round((Date.now() - d.getTime()) / 1000);
  if (sec < 5) return 'just now';
  if (sec < 60) return `${sec}s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h ago`;
  return `${Math.floor(sec / 86400)}d ago`;
}

/** fmtMs shows a duration in milliseconds. */
export function fmtMs(ms) {
  if (ms === null || ms === undefined) return '';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** fmtBytes shows a size. */
export function fmtBytes(n) {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** duration between two RFC 3339 times, as text. */
export function fmtSpan(a, b) {
  if (!a || !b) return '';
  const ms = isoMs(b) - isoMs(a);
  if (isNaN(ms)) return '';
  return fmtMs(ms);
}

/**
 * isoMs is an RFC 3339 time in milliseconds since the epoch, keeping the
 * fraction below the millisecond that Date drops ("…:56.415924059Z").
 */
function isoMs(s) {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$/.exec(String(s));
  if (!m) return new Date(s).getTime();
  return new Date(m[1] + m[3]).getTime() + (m[2] ? Number(m[2]) * 1000 : 0);
}

/** badge is a small coloured label; kind picks the colour. */
export function badge(text, kind) {
  return h('span', { class: `badge badge-${kind || 'plain'}`, text });
}

/** outcomeKind maps a run outcome or hook action to a badge colour. */
export function outcomeKind(o) {
  switch (String(o || '').toLowerCase()) {
    case 'passed': case 'accept': case 'accepted': case 'delivered': case 'ok': return 'ok';
    case 'failed': case 'reject': case 'rejected': case 'error': case 'interrupted': return 'bad';
    case 'discard': case 'quarantine': case 'tempfail': case 'skipped': return 'warn';
    case 'running': return 'live';
    default: return 'plain';
  }
}

/** bodyText returns the text of an object's body or body_base64 (decoded as latin-1 when not UTF-8). */
export function bodyText(obj) {
  if (!obj) return '';
  if (typeof obj.body === 'string') return obj.body;
  if (typeof obj.body_base64 === 'string') {
    try { return atob(obj.body_base64); } catch { return obj.body_base64; }
  }
  return '';
}

/** replyClass picks a colour for an SMTP reply by its first digit. */
export function replyClass(reply) {
  const c = String(reply || '').trim()[0];
  if (c === '2' || c === '3') return 'reply-ok';
  if (c === '4') return 'reply-temp';
  if (c === '5') return 'reply-perm';
  return 'reply-none';
}

/**
 * authFields are a hook's credentials for a form: a Bearer token and
 * Basic user:password, password inputs that are never stored. add()
 * puts the filled ones into a request body.
 */
export function authFields(prefix) {
  const bearer = h('input', { type: 'password', id: `${prefix}-bearer`, autocomplete: 'off', placeholder: 'token', 'aria-label': 'Bearer token' });
  const basic = h('input', { type: 'password', id: `${prefix}-basic`, autocomplete: 'off', placeholder: 'user:password', 'aria-label': 'Basic credentials' });
  return {
    el: h('div', { class: 'auth-fields form-grid' },
      h('label', {}, h('span', { text: 'Bearer token' }), bearer),
      h('label', {}, h('span', { text: 'Basic (user:password)' }), basic)),
    add(body) {
      if (bearer.value) body.bearer = bearer.value;
      if (basic.value) body.basic = basic.value;
      return body;
    },
  };
}
