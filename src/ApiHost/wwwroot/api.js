// REST client for the API host (see the contract: X-API-Key header or the session cookie, problem+json errors).

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
  }
}

export class Api {
  /** @param {() => string} getKey @param {(e: ApiError) => void} onUnauthorized */
  constructor(getKey, onUnauthorized) {
    this.getKey = getKey;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, { body, key, raw = false, signal, quiet401 = false } = {}) {
    // X-Requested-With: a request that changes something under the session cookie needs it (CSRF guard).
    const headers = { Accept: 'application/json', 'X-Requested-With': 'fetch' };
    const apiKey = key ?? this.getKey();
    if (apiKey) headers['X-API-Key'] = apiKey;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, 'Network error', 'The server could not be reached. Check the connection and try again.');
    }
    if (!res.ok) {
      let problem = {};
      try { problem = await res.json(); } catch { /* not JSON */ }
      const err = new ApiError(res.status, problem.title || res.statusText, problem.detail || problem.title || `Request failed (HTTP ${res.status}).`);
      if (res.status === 401 && !quiet401) this.onUnauthorized?.(err);
      throw err;
    }
    if (raw) return res;
    if (res.status === 204) return null;
    return res.json();
  }

  /** Signs in with email and password: the answer sets the session cookie. */
  login(email, password) {
    return this.request('POST', '/api/auth/login', { body: { email, password }, key: '', quiet401: true });
  }

  logout() {
    return this.request('POST', '/api/auth/logout', { key: '', quiet401: true });
  }

  /** Who the session cookie belongs to (401 when there is none). */
  me() {
    return this.request('GET', '/api/auth/me', { key: '', quiet401: true });
  }

  checkKey(key) {
    return this.request('GET', '/api/chats?perPage=1', { key, quiet401: true });
  }

  chats({ page = 1, perPage = 50, source = '', q = '' } = {}, signal) {
    const p = new URLSearchParams({ page, perPage });
    if (source) p.set('source', source);
    if (q) p.set('q', q);
    return this.request('GET', `/api/chats?${p}`, { signal });
  }

  chat(id) {
    return this.request('GET', `/api/chats/${encodeURIComponent(id)}`);
  }

  messages(chatId, { page = 1, perPage = 50, sort = '-timestamp' } = {}) {
    const p = new URLSearchParams({ page, perPage, sort });
    return this.request('GET', `/api/chats/${encodeURIComponent(chatId)}/messages?${p}`);
  }

  setAutoMode(chatId, autoMode) {
    return this.request('PATCH', `/api/chats/${encodeURIComponent(chatId)}/autoMode`, { body: { autoMode } });
  }

  send(body) {
    return this.request('POST', '/api/messages', { body });
  }

  async mediaBlob(mediaFileId) {
    const res = await this.request('GET', `/api/media/${encodeURIComponent(mediaFileId)}`, { raw: true });
    return res.blob();
  }
}
