// Server-sent events: one EventSource for everything, recreated (with ?lastEventId=) when the browser gives up.

const STALE_MS = 45_000; // the server pings every 15 s; three missed pings means a dead connection

export class Stream {
  /**
   * @param {object} o
   * @param {string} o.key
   * @param {(data: {type: string, record: object}) => void} o.onUpdate
   * @param {() => void} o.onResync   refetch everything through REST
   * @param {(state: 'connecting'|'connected'|'reconnecting'|'offline') => void} o.onState
   * @param {() => void} o.onClosed   the stream closed for good once (e.g. to check the key)
   */
  constructor({ key, onUpdate, onResync, onState, onClosed }) {
    Object.assign(this, { key, onUpdate, onResync, onState, onClosed });
    this.lastEventId = '';
    this.es = null;
    this.retryMs = 1000;
    this.retryTimer = 0;
    this.staleTimer = 0;
    this.stopped = true;
    this.everOpened = false;
    this.onOnline = () => { if (!this.es || this.es.readyState === EventSource.CLOSED) this.reopen(true); };
    this.onOffline = () => this.setState('offline');
  }

  start() {
    this.stopped = false;
    addEventListener('online', this.onOnline);
    addEventListener('offline', this.onOffline);
    this.open();
  }

  stop() {
    this.stopped = true;
    removeEventListener('online', this.onOnline);
    removeEventListener('offline', this.onOffline);
    clearTimeout(this.retryTimer);
    clearTimeout(this.staleTimer);
    this.es?.close();
    this.es = null;
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.onState(s);
  }

  open() {
    if (this.stopped) return;
    // With a session the cookie goes along by itself; the API key must be in the query (EventSource sends no headers).
    const params = new URLSearchParams();
    if (this.key) params.set('apiKey', this.key);
    if (this.lastEventId) params.set('lastEventId', this.lastEventId);
    const query = params.toString();
    const url = '/api/stream' + (query ? '?' + query : '');
    // Without a last id the server cannot replay what we missed while closed: refetch once we are back.
    const needsResync = this.everOpened && !this.lastEventId;
    const es = new EventSource(url);
    this.es = es;
    this.setState(this.everOpened ? 'reconnecting' : 'connecting');

    es.addEventListener('open', () => {
      if (es !== this.es) return;
      this.everOpened = true;
      this.retryMs = 1000;
      this.setState('connected');
      this.touch();
      if (needsResync) this.onResync();
    });
    es.addEventListener('update', (e) => {
      if (es !== this.es) return;
      this.track(e);
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      if (data && data.record) this.onUpdate(data);
    });
    es.addEventListener('resync', (e) => {
      if (es !== this.es) return;
      this.track(e);
      this.onResync();
    });
    es.addEventListener('ping', (e) => { if (es === this.es) this.track(e); });
    es.addEventListener('error', () => {
      if (es !== this.es) return;
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (HTTP error, wrong content type, 401...): we retry with backoff ourselves.
        this.onClosed?.();
        this.scheduleReopen();
      } else {
        this.setState(navigator.onLine === false ? 'offline' : 'reconnecting');
      }
    });
  }

  track(e) {
    if (e.lastEventId) this.lastEventId = e.lastEventId;
    if (this.state !== 'connected') this.setState('connected');
    this.touch();
  }

  touch() {
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => this.reopen(false), STALE_MS);
  }

  scheduleReopen() {
    if (this.stopped) return;
    this.es?.close();
    clearTimeout(this.staleTimer);
    this.setState(navigator.onLine === false ? 'offline' : 'reconnecting');
    clearTimeout(this.retryTimer);
    const delay = this.retryMs * (0.75 + Math.random() * 0.5);
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  reopen(now) {
    if (this.stopped) return;
    this.es?.close();
    clearTimeout(this.retryTimer);
    if (now) { this.retryMs = 1000; this.open(); } else this.scheduleReopen();
  }
}
