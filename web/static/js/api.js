// api.js: the JSON API under /api/v1/ and the live event stream.

const TOKEN_COOKIE = 'hooksim_token';

/** token returns the access token of a public server, or ''. */
export function token() {
  const m = document.cookie.match(/(?:^|;\s*)hooksim_token=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

/** adoptToken moves ?token=... from the address into a cookie and out of sight. */
export function adoptToken() {
  const u = new URL(location.href);
  const t = u.searchParams.get('token');
  if (!t) return;
  document.cookie = `${TOKEN_COOKIE}=${encodeURIComponent(t)}; path=/; SameSite=Strict`;
  u.searchParams.delete('token');
  history.replaceState(null, '', u.pathname + u.search + u.hash);
}

function headers(extra) {
  const hd = Object.assign({ Accept: 'application/json' }, extra || {});
  const t = token();
  if (t) hd.Authorization = `Bearer ${t}`;
  return hd;
}

async function answer(res) {
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const msg = data && data.error ? data.error : `${res.status} ${res.statusText}`;
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return data;
}

/** get fetches JSON from path (relative to the site root). */
export async function get(path, signal) {
  const res = await fetch(path, { headers: headers(), credentials: 'same-origin', signal });
  return answer(res);
}

/** getText fetches plain text. */
export async function getText(path) {
  const res = await fetch(path, { headers: headers({ Accept: 'text/plain, */*' }), credentials: 'same-origin' });
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try { const d = JSON.parse(await res.text()); if (d && d.error) msg = d.error; } catch { /* not JSON */ }
    throw new Error(msg);
  }
  return res.text();
}

/** post sends JSON and returns the JSON answer. */
export async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json' }),
    credentials: 'same-origin',
    body: JSON.stringify(body || {}),
  });
  return answer(res);
}

/**
 * Live keeps a websocket on /api/v1/events open, reconnecting with the last
 * seq seen so that nothing is lost. onEvent gets every event; onReset is
 * called when the server could not resume (reload everything from the API);
 * onState gets 'live', 'connecting' or 'offline'.
 */
export class Live {
  constructor() {
    this.seq = null; // null until the first hello: start from the latest event
    this.handlers = new Set();
    this.stateHandlers = new Set();
    this.ws = null;
    this.retry = 0;
    this.timer = null;
    this.state = 'connecting';
    this.stopped = false;
  }

  /** on subscribes to events; it returns a function that unsubscribes. */
  on(fn) { this.handlers.add(fn); return () => this.handlers.delete(fn); }

  /** onState subscribes to connection state changes. */
  onState(fn) { this.stateHandlers.add(fn); fn(this.state); return () => this.stateHandlers.delete(fn); }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.stateHandlers) fn(s);
  }

  /** start opens the websocket. */
  start() {
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const since = this.seq === null ? '' : `?since=${this.seq}`;
    const url = `${proto}//${location.host}/api/v1/events${since}`;
    let ws;
    try { ws = new WebSocket(url); } catch { this.again(); return; }
    this.ws = ws;
    this.setState('connecting');
    ws.onopen = () => { this.retry = 0; this.setState('live'); };
    ws.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch { return; }
      if (!ev || typeof ev !== 'object') return;
      if (typeof ev.seq === 'number') {
        if (ev.type === 'hello') {
          // On the first connection the stream starts at the latest event;
          // on a reconnect, buffered events after our seq follow.
          if (this.seq === null) this.seq = ev.seq;
        } else if (ev.type === 'reset') {
          this.seq = Math.max(ev.seq, 0);
        } else if (this.seq === null || ev.seq > this.seq) {
          this.seq = ev.seq;
        } else {
          return; // already seen
        }
      }
      for (const fn of this.handlers) {
        try { fn(ev); } catch (e) { console.error(e); }
      }
    };
    ws.onclose = () => { this.ws = null; this.setState('offline'); this.again(); };
    ws.onerror = () => { /* onclose follows */ };
  }

  again() {
    if (this.stopped || this.timer) return;
    const wait = Math.min(5000, 250 * 2 ** this.retry++);
    this.timer = setTimeout(() => { this.timer = null; this.start(); }, wait);
  }
}
