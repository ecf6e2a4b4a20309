import { get } from './api.js';

/**
 * pager loads a list the API pages newest first (`?limit=50&before=ID`,
 * answering `{[field]: [...], next_before}`): load(true) starts again,
 * load(false) loads the next page; a load still in flight is aborted.
 * onPage(items, fresh) takes each page, onError(e) a failure; more() says
 * whether a next page exists, busy() whether a load is in flight, and
 * stop() aborts it. The runs list and the messages list share it.
 */
export function pager(path, field, filterKeys, filters, onPage, onError) {
  let nextBefore = 0;
  let loading = null;
  async function load(fresh) {
    const p = new URLSearchParams();
    for (const k of filterKeys) if (filters[k]) p.set(k, filters[k]);
    p.set('limit', '50');
    if (!fresh && nextBefore) p.set('before', String(nextBefore));
    const ctl = new AbortController();
    if (loading) loading.abort();
    loading = ctl;
    try {
      const data = await get(`${path}?${p}`, ctl.signal);
      if (ctl.signal.aborted) return;
      nextBefore = data.next_before || 0;
      loading = null;
      onPage(data[field] || [], fresh);
    } catch (e) {
      if (ctl.signal.aborted) return;
      loading = null;
      onError(e);
    }
  }
  return {
    load,
    more: () => nextBefore !== 0,
    busy: () => loading !== null,
    stop: () => { if (loading) loading.abort(); },
  };
}
