// json.js: pretty JSON with syntax highlighting, built as DOM nodes.

import { h } from './dom.js';

/**
 * prettyJSON returns a <pre> showing text as indented, highlighted JSON.
 * Text that is not JSON is shown as it is.
 */
export function prettyJSON(text, cls) {
  const pre = h('pre', { class: `code json ${cls || ''}` });
  let value;
  try {
    value = typeof text === 'string' ? JSON.parse(text) : text;
  } catch {
    pre.classList.add('not-json');
    pre.textContent = String(text);
    return pre;
  }
  render(pre, value, 0);
  return pre;
}

function span(cls, text) {
  return h('span', { class: cls, text });
}

function render(out, v, depth) {
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  if (v === null) { out.appendChild(span('j-null', 'null')); return; }
  if (Array.isArray(v)) {
    if (v.length === 0) { out.appendChild(span('j-punct', '[]')); return; }
    out.appendChild(span('j-punct', '['));
    v.forEach((item, i) => {
      out.appendChild(document.createTextNode('\n' + pad));
      render(out, item, depth + 1);
      if (i < v.length - 1) out.appendChild(span('j-punct', ','));
    });
    out.appendChild(document.createTextNode('\n' + close));
    out.appendChild(span('j-punct', ']'));
    return;
  }
  switch (typeof v) {
    case 'object': {
      const keys = Object.keys(v);
      if (keys.length === 0) { out.appendChild(span('j-punct', '{}')); return; }
      out.appendChild(span('j-punct', '{'));
      keys.forEach((k, i) => {
        out.appendChild(document.createTextNode('\n' + pad));
        out.appendChild(span('j-key', JSON.stringify(k)));
        out.appendChild(span('j-punct', ': '));
        render(out, v[k], depth + 1);
        if (i < keys.length - 1) out.appendChild(span('j-punct', ','));
      });
      out.appendChild(document.createTextNode('\n' + close));
      out.appendChild(span('j-punct', '}'));
      return;
    }
    case 'string': out.appendChild(span('j-str', JSON.stringify(v))); return;
    case 'number': out.appendChild(span('j-num', String(v))); return;
    case 'boolean': out.appendChild(span('j-bool', String(v))); return;
    default: out.appendChild(document.createTextNode(String(v)));
  }
}

/** diffText shows a unified diff text with added/removed lines coloured. */
export function diffText(text) {
  const pre = h('pre', { class: 'code diff' });
  const lines = String(text || '').split('\n');
  for (const line of lines) {
    let cls = 'd-same';
    if (line.startsWith('+')) cls = 'd-add';
    else if (line.startsWith('-')) cls = 'd-del';
    else if (line.startsWith('@@') || line.startsWith('==') || /^\S.*:$/.test(line)) cls = 'd-head';
    pre.appendChild(h('span', { class: `d-line ${cls}`, text: line }));
    pre.appendChild(document.createTextNode('\n'));
  }
  return pre;
}

/** hexDump shows bytes (a latin-1 string) as offset, hex and ASCII columns. */
export function hexDump(bin) {
  const rows = [];
  for (let off = 0; off < bin.length; off += 16) {
    const chunk = bin.slice(off, off + 16);
    let hex = '';
    let asc = '';
    for (let i = 0; i < 16; i++) {
      if (i < chunk.length) {
        const c = chunk.charCodeAt(i) & 0xff;
        hex += c.toString(16).padStart(2, '0') + ' ';
        asc += c >= 0x20 && c < 0x7f ? chunk[i] : '.';
      } else {
        hex += '   ';
      }
      if (i === 7) hex += ' ';
    }
    rows.push(`${off.toString(16).padStart(8, '0')}  ${hex} ${asc}`);
  }
  return h('pre', { class: 'code hex', text: rows.join('\n') });
}
