// app.js: boot, hash routing and the live connection shared by all pages.

import { adoptToken, Live } from './api.js';
import { clear, h } from './dom.js';
import { runsPage } from './runs.js';
import { runPage } from './run.js';
import { messagePage } from './message.js';
import { messagesPage } from './messages.js';
import { playPage, comparePage, sendPage } from './actions.js';

const routes = [
  [/^\/?$/, 'runs', () => runsPage],
  [/^\/messages$/, 'messages', () => messagesPage],
  [/^\/runs\/(\d+)\/messages\/(\d+)$/, 'runs', () => messagePage],
  [/^\/runs\/(\d+)$/, 'runs', () => runPage],
  [/^\/play$/, 'play', () => playPage],
  [/^\/compare$/, 'compare', () => comparePage],
  [/^\/send$/, 'send', () => sendPage],
];

/** parseHash splits "#/path?query" into path and URLSearchParams. */
export function parseHash(hash) {
  const raw = (hash || '').replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  return { path, query };
}

function boot() {
  adoptToken();
  const live = new Live();
  const liveEl = document.getElementById('live');
  live.onState((s) => {
    liveEl.className = `live live-${s}`;
    liveEl.textContent = s === 'live' ? 'live' : s === 'offline' ? 'offline, retrying' : 'connecting';
  });
  live.start();

  const view = document.getElementById('view');
  let cleanup = null;

  function route() {
    const { path, query } = parseHash(location.hash);
    if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } cleanup = null; }
    clear(view);
    let found = false;
    for (const [re, nav, page] of routes) {
      const m = path.match(re);
      if (!m) continue;
      found = true;
      for (const a of document.querySelectorAll('[data-nav]')) {
        a.classList.toggle('active', a.dataset.nav === nav);
      }
      const ctx = { live, query, params: m.slice(1), view, navigate };
      try {
        cleanup = page()(view, ctx) || null;
      } catch (e) {
        console.error(e);
        view.appendChild(h('div', { class: 'error-box', text: `This page failed: ${e.message}` }));
      }
      break;
    }
    if (!found) {
      view.appendChild(h('div', { class: 'empty' }, h('h2', { text: 'Not found' }),
        h('p', {}, 'Nothing lives at this address. ', h('a', { href: '#/', text: 'Back to the runs' }))));
    }
    window.scrollTo(0, 0);
  }

  /** navigate changes the hash; replace keeps the history entry. */
  function navigate(hash, replace) {
    if (replace) {
      history.replaceState(null, '', hash);
      route();
    } else {
      location.hash = hash;
    }
  }

  window.addEventListener('hashchange', route);
  route();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
