/* fangpin.js: what every fangpin page shares (the dashboard at /dash/, the department desk at
 * /desk/), as the global FP. The bearer token lives in this browser's localStorage under
 * "fangpin.token" and travels only in the Authorization header: never in a URL, so it is not in
 * any access log, history or Referer. Pages use relative URLs ("api/whoami"), so the same code
 * works under either prefix. */
(function () {
  'use strict';
  const KEY = 'fangpin.token';
  const TOKEN_RE = /^fpt_[A-Za-z0-9_-]{43}$/;
  const FP = {};
  let ready = null;   // the page's onReady(whoami)
  let title = '';
  const closers = []; // streams to end on logout

  FP.token = () => localStorage.getItem(KEY) || '';

  FP.esc = (s) => String(s === undefined || s === null ? '' : s)
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  /* An answer that was not 2xx: status, the machine-readable reason, and the message. */
  class ApiError extends Error {
    constructor(status, reason, message) {
      super(message || ('HTTP ' + status));
      this.status = status;
      this.reason = reason || '';
    }
  }
  FP.ApiError = ApiError;

  function withAuth(extra) {
    const h = new Headers(extra || {});
    const t = FP.token();
    if (t) h.set('Authorization', 'Bearer ' + t);
    return h;
  }

  async function errorOf(r) {
    const text = await r.text();
    let reason = r.headers.get('X-Fangpin-Reason') || '';
    let message = text.trim();
    try {
      const j = JSON.parse(text);
      reason = j.reason || reason;
      message = [j.message_zh, j.message].filter(Boolean).join(' / ') || message;
    } catch (e) { /* a text answer: both languages, one per line */ }
    return new ApiError(r.status, reason, message.replace(/\n/g, ' / '));
  }

  FP.api = async function (path, opts) {
    const o = Object.assign({}, opts || {});
    o.headers = withAuth(o.headers);
    o.credentials = 'omit';
    o.cache = 'no-store';
    const r = await fetch(path, o);
    if (r.status === 401) {
      const e = await errorOf(r);
      showLogin(FP.token() ? '令牌无效、已吊销或已过期 / the token is invalid, revoked or expired' : '');
      throw e;
    }
    return r;
  };

  FP.json = async function (path, opts) {
    const r = await FP.api(path, opts);
    if (!r.ok) throw await errorOf(r);
    const text = await r.text();
    return text ? JSON.parse(text) : null;
  };

  function filenameOf(r, fallback) {
    const d = r.headers.get('Content-Disposition') || '';
    const star = /filename\*=UTF-8''([^;]+)/i.exec(d);
    if (star) return decodeURIComponent(star[1]);
    const plain = /filename="?([^";]+)"?/i.exec(d);
    return plain ? plain[1] : fallback;
  }

  /* Fetches with the token and saves the answer as a file (a blob: the token is in no URL). */
  FP.download = async function (path, filename, opts) {
    const r = await FP.api(path, opts);
    if (!r.ok) throw await errorOf(r);
    const blob = await r.blob();
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = filename || filenameOf(r, 'download');
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    return a.download;
  };

  /* One block of a Server-Sent Events stream: its id, event type and data (JSON when it parses). */
  function sseBlock(block, st) {
    let id = null, type = 'message';
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (!line || line[0] === ':') continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      let v = c < 0 ? '' : line.slice(c + 1);
      if (v[0] === ' ') v = v.slice(1);
      if (field === 'id') id = v;
      else if (field === 'event') type = v;
      else if (field === 'data') data.push(v);
      else if (field === 'retry' && /^\d+$/.test(v)) st.retry = Number(v);
    }
    if (id !== null) st.last = id;
    if (!data.length) return null;
    let value = data.join('\n');
    try { value = JSON.parse(value); } catch (e) { /* not JSON: the text */ }
    return { id, type, data: value };
  }

  async function sseRead(r, st, onEvent) {
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let m;
      while ((m = /\r?\n\r?\n/.exec(buf))) {
        const ev = sseBlock(buf.slice(0, m.index), st);
        buf = buf.slice(m.index + m[0].length);
        if (ev) onEvent(ev);
      }
    }
  }

  /* Reads an event stream with fetch (EventSource cannot send the header) and resumes from the
   * last id after a drop. opts: from (a position), onOpen(), onDrop(error). Returns {close()}. */
  FP.events = function (path, onEvent, opts) {
    const o = opts || {};
    const st = { last: o.from === undefined ? null : String(o.from), retry: 3000, stopped: false, ctrl: null };
    (async function run() {
      while (!st.stopped) {
        st.ctrl = new AbortController();
        try {
          const h = st.last !== null ? { 'Last-Event-ID': st.last } : {};
          const r = await FP.api(path, { headers: h, signal: st.ctrl.signal });
          if (!r.ok) throw await errorOf(r);
          if (o.onOpen) o.onOpen();
          await sseRead(r, st, onEvent);
          if (o.onDrop) o.onDrop(null);
        } catch (e) {
          if (st.stopped || e.status === 401) return;
          if (o.onDrop) o.onDrop(e);
        }
        await new Promise((res) => setTimeout(res, st.retry));
      }
    })();
    const handle = { close() { st.stopped = true; if (st.ctrl) st.ctrl.abort(); } };
    closers.push(handle);
    return handle;
  };

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  FP.el = el;

  function loginForm() {
    let box = document.getElementById('fp-login');
    if (box) return box;
    box = el('div', { id: 'fp-login', role: 'dialog', 'aria-modal': 'true' });
    const form = el('form', { class: 'fp-login-form' });
    form.append(el('h1', {}, title || '防贫监测'), el('p', { class: 'fp-hint' },
      '请输入县级管理员签发的访问令牌（fangpinctl token add）。Paste the access token county IT issued.'));
    const input = el('input', { id: 'fp-token', type: 'password', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'fpt_…', 'aria-label': '访问令牌 token' });
    const go = el('button', { id: 'fp-login-go', type: 'submit' }, '登录 Log in');
    form.append(input, go, el('p', { id: 'fp-login-error', class: 'fp-error', role: 'alert' }));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = input.value.trim();
      if (!TOKEN_RE.test(t)) {
        document.getElementById('fp-login-error').textContent = '令牌格式错误（fpt_ 加 43 个字符） / malformed token';
        return;
      }
      localStorage.setItem(KEY, t);
      input.value = '';
      check();
    });
    box.append(form);
    document.body.append(box);
    return box;
  }

  function showLogin(message) {
    const box = loginForm();
    box.hidden = false;
    document.body.classList.add('fp-locked');
    document.getElementById('fp-login-error').textContent = message || '';
    const bar = document.getElementById('fp-bar');
    if (bar) bar.hidden = true;
  }

  function expiryText(iso) {
    if (!iso) return '长期有效 no expiry';
    const d = new Date(iso);
    const days = Math.ceil((d.getTime() - Date.now()) / 86400000);
    return '有效期至 ' + d.toLocaleString('zh-CN', { hour12: false }) + '（剩 ' + days + ' 天） expires ' + iso;
  }

  function renderBar(me) {
    let bar = document.getElementById('fp-bar');
    if (!bar) {
      bar = el('header', { id: 'fp-bar' });
      bar.append(el('span', { class: 'fp-brand' }, title || '防贫监测'), el('span', { id: 'fp-who' }),
        el('span', { id: 'fp-expires' }));
      const out = el('button', { id: 'fp-logout', type: 'button' }, '退出 Log out');
      out.addEventListener('click', FP.logout);
      bar.append(out);
      document.body.prepend(bar);
    }
    bar.hidden = false;
    const where = me.region ? '（' + me.region + '）' : '';
    document.getElementById('fp-who').textContent = (me.name || me.principal) + where;
    document.getElementById('fp-expires').textContent = expiryText(me.token && me.token.expires_at);
  }

  async function check() {
    let me;
    try {
      me = await FP.json('api/whoami');
    } catch (e) {
      if (e.status !== 401) showLogin((e.message || String(e)));
      return;
    }
    const box = document.getElementById('fp-login');
    if (box) box.hidden = true;
    document.body.classList.remove('fp-locked');
    renderBar(me);
    FP.me = me;
    if (ready) ready(me);
  }

  /* Forgets the token in this browser, ends the page's streams, and shows the login form. */
  FP.logout = function () {
    localStorage.removeItem(KEY);
    while (closers.length) closers.pop().close();
    FP.me = null;
    document.body.classList.add('fp-logged-out');
    showLogin('已退出 / logged out');
  };

  /* Starts a page: the login form without a token, else onReady(whoami) once it is admitted. */
  FP.start = function (onReady, opts) {
    ready = onReady;
    title = (opts && opts.title) || document.title;
    if (!FP.token()) showLogin('');
    else check();
  };

  window.FP = FP;
})();
