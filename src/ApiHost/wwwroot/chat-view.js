// One open conversation: newest page first, older pages on scroll-up, live `message` events, reply box.
import { h, $, sourceBadge, sourceLabel, paintAvatar, clockTime, fullTime, dayKey, dayLabel, toast, announce } from './ui.js';

const PER_PAGE = 50;
const NEAR_BOTTOM_PX = 60;
const time = (m) => Date.parse(m.timestamp) || 0;

const STATUS = {
  pending: { label: 'Sending…', icon: '◷' },
  sent: { label: 'Sent', icon: '✓' },
  failed: { label: 'Failed', icon: '!' },
  discarded: { label: 'Discarded', icon: '⊘' },
  unanswered: { label: 'Unanswered', icon: '•' },
};
const TYPE_LABEL = {
  voice: 'Voice message', audio: 'Audio', image: 'Photo', sticker: 'Sticker', video: 'Video', video_note: 'Video note',
  document: 'Document', location: 'Location', contact: 'Contact', poll: 'Poll',
};

export class ChatView {
  /**
   * @param {import('./api.js').Api} api
   * @param {{ onChatChanged: (chat: object) => void, onClose: () => void }} hooks
   */
  constructor(api, hooks) {
    this.api = api;
    this.hooks = hooks;
    this.chat = null;
    this.gen = 0;
    this.blobUrls = new Set();
    this.el = {
      empty: $('#chat-empty'), main: $('#chat-main'), title: $('#chat-title'), sub: $('#chat-sub'),
      avatar: $('#chat-avatar'), ai: $('#ai-running'), auto: $('#automode'), error: $('#chat-error'),
      scroller: $('#messages'), list: $('#message-list'), older: $('#older'), jump: $('#jump'),
      form: $('#composer'), reply: $('#reply'), send: $('#send'), back: $('#back'),
    };
    this.reset();

    const { scroller, jump, auto, form, reply, back } = this.el;
    scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    jump.addEventListener('click', () => { this.scrollToBottom(true); this.el.reply.focus(); });
    auto.addEventListener('change', () => this.toggleAutoMode(auto.checked));
    form.addEventListener('submit', (e) => { e.preventDefault(); this.send(); });
    reply.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        this.send();
      }
    });
    reply.addEventListener('input', () => this.autosize());
    back.addEventListener('click', () => this.hooks.onClose());
    // Images and audio load after layout: keep following the bottom while we are there.
    new ResizeObserver(() => { if (this.stuck) this.scrollToBottom(); }).observe(this.el.list);
    this.mediaObserver = new IntersectionObserver((entries) => {
      for (const en of entries) if (en.isIntersecting) { this.mediaObserver.unobserve(en.target); this.loadMedia(en.target); }
    }, { root: scroller, rootMargin: '600px 0px' });
  }

  reset() {
    this.messages = [];        // sorted by timestamp
    this.nodes = new Map();    // id -> <li>
    this.olderPage = 0;        // pages fetched with sort=-timestamp
    this.hasOlder = false;
    this.loadingOlder = false;
    this.stuck = true;
    this.unseen = 0;
    this.mediaObserver?.disconnect();
    for (const url of this.blobUrls) URL.revokeObjectURL(url);
    this.blobUrls.clear();
    this.el.list.replaceChildren();
    this.el.older.textContent = '';
    this.el.jump.hidden = true;
  }

  get isOpen() { return !!this.chat; }

  async open(chat) {
    const gen = ++this.gen;
    const same = this.chat?.id === chat.id;
    if (!same) { this.reset(); this.el.reply.value = ''; this.autosize(); }
    this.chat = chat;
    this.el.empty.hidden = true;
    this.el.main.hidden = false;
    this.renderHeader();
    this.el.older.textContent = 'Loading messages…';
    // The list's copy may be older than the server's: refresh the header in the background.
    this.api.chat(chat.id).then((fresh) => { if (gen === this.gen) this.updateChat(fresh, true); }).catch(() => {});
    await this.loadNewest(gen);
  }

  close() {
    this.gen++;
    this.chat = null;
    this.reset();
    this.el.main.hidden = true;
    this.el.empty.hidden = false;
  }

  /** (Re)load the newest page. Used on open and on `resync`. */
  async loadNewest(gen = this.gen) {
    let res;
    try {
      res = await this.api.messages(this.chat.id, { page: 1, perPage: PER_PAGE, sort: '-timestamp' });
    } catch (e) {
      if (gen !== this.gen) return;
      this.el.older.textContent = '';
      this.el.older.append(`Could not load messages: ${e.message} `,
        h('button', { type: 'button', class: 'link', text: 'Retry', onclick: () => this.loadNewest(gen) }));
      return;
    }
    if (gen !== this.gen) return;
    const items = res.items ?? [];
    // After a long gap the newest page may not touch what we show: start over rather than leave a hole.
    if (this.messages.length && !items.some((m) => this.nodes.has(m.id))) this.reset();
    if (this.olderPage === 0) { this.olderPage = 1; this.hasOlder = (res.totalPages ?? 1) > 1; }
    const wasStuck = this.stuck;
    for (const m of items.reverse()) this.upsert(m, { silent: true });
    this.regroup();
    this.updateOlderLabel();
    if (wasStuck) this.scrollToBottom();
    this.fillViewport();
  }

  async loadOlder() {
    if (!this.hasOlder || this.loadingOlder || !this.chat) return;
    const gen = this.gen;
    this.loadingOlder = true;
    this.el.older.textContent = 'Loading older messages…';
    try {
      const res = await this.api.messages(this.chat.id, { page: this.olderPage + 1, perPage: PER_PAGE, sort: '-timestamp' });
      if (gen !== this.gen) return;
      this.olderPage = res.page ?? this.olderPage + 1;
      this.hasOlder = this.olderPage < (res.totalPages ?? 0);
      const { scroller } = this.el;
      const fromBottom = scroller.scrollHeight - scroller.scrollTop;
      for (const m of res.items ?? []) this.upsert(m, { silent: true });
      this.regroup();
      scroller.scrollTop = scroller.scrollHeight - fromBottom;
    } catch (e) {
      if (gen === this.gen) toast(`Could not load older messages: ${e.message}`, 'error');
    } finally {
      if (gen === this.gen) { this.loadingOlder = false; this.updateOlderLabel(); }
    }
    this.fillViewport();
  }

  fillViewport() {
    requestAnimationFrame(() => {
      const { scroller } = this.el;
      if (this.hasOlder && (scroller.scrollHeight <= scroller.clientHeight || scroller.scrollTop < 200)) this.loadOlder();
    });
  }

  updateOlderLabel() {
    this.el.older.textContent = this.hasOlder ? '' : this.messages.length ? 'Beginning of the conversation' : 'No messages yet';
  }

  onScroll() {
    const { scroller } = this.el;
    this.stuck = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
    if (this.stuck && this.unseen) { this.unseen = 0; this.el.jump.hidden = true; }
    if (scroller.scrollTop < 300) this.loadOlder();
  }

  scrollToBottom(smooth = false) {
    const { scroller } = this.el;
    scroller.scrollTo({ top: scroller.scrollHeight, behavior: smooth ? 'smooth' : 'instant' });
    this.stuck = true;
    this.unseen = 0;
    this.el.jump.hidden = true;
  }

  /** A message from REST, a POST answer or a `message` event. Replaces by id or inserts in timestamp order. */
  upsert(msg, { silent = false, own = false } = {}) {
    if (!this.chat || msg.chatId !== this.chat.id) return;
    const old = this.nodes.get(msg.id);
    if (old) {
      const idx = this.messages.findIndex((m) => m.id === msg.id);
      const prev = this.messages[idx];
      // The POST answer (pending) can arrive after the `sent` event: a settled status never goes back.
      if (msg.status === 'pending' && prev.status && prev.status !== 'pending') {
        msg = { ...msg, status: prev.status, platformMessageId: prev.platformMessageId, error: prev.error };
      }
      const merged = { ...prev, ...msg };
      this.messages[idx] = merged;
      this.renderMessage(merged, old);
      if (!silent) {
        this.regroup();
        if (merged.status === 'failed' && !merged.isIncoming) announce(`Message failed to send${merged.error ? `: ${merged.error}` : ''}`);
      }
      return;
    }
    // Insert after the last message not newer than this one (usually: append).
    let idx = this.messages.length;
    while (idx > 0 && time(this.messages[idx - 1]) > time(msg)) idx--;
    const appended = idx === this.messages.length;
    this.messages.splice(idx, 0, msg);
    const li = this.renderMessage(msg);
    this.nodes.set(msg.id, li);
    const next = this.messages[idx + 1];
    this.el.list.insertBefore(li, next ? this.nodes.get(next.id) : null);
    if (silent) return;
    this.regroup();
    if (!appended) return;
    if (this.stuck || own) this.scrollToBottom();
    else { this.unseen++; this.el.jump.hidden = false; this.el.jump.textContent = `${this.unseen} new message${this.unseen > 1 ? 's' : ''} ↓`; }
    if (msg.isIncoming) announce(`New message from ${msg.senderName || this.chat.name || 'customer'}: ${msg.content || TYPE_LABEL[msg.type] || ''}`);
    else if (!own) announce(`${authorOf(msg, this.chat)} replied: ${msg.content || ''}`);
  }

  /** Day separators and consecutive-sender grouping, recomputed after each change (cheap: one page-sized pass). */
  regroup() {
    let prevDay = null, prev = null;
    for (const m of this.messages) {
      const li = this.nodes.get(m.id);
      const day = dayKey(m.timestamp);
      const newDay = day !== prevDay;
      li.classList.toggle('newday', newDay);
      if (newDay) li.dataset.day = dayLabel(m.timestamp);
      const cont = !newDay && prev && prev.isIncoming === m.isIncoming && authorOf(prev, this.chat) === authorOf(m, this.chat)
        && time(m) - time(prev) < 5 * 60_000;
      li.classList.toggle('cont', !!cont);
      prevDay = day; prev = m;
    }
  }

  /** A `chat` event or a PATCH answer for the open chat. */
  updateChat(chat, fromServer = true) {
    if (!this.chat || chat.id !== this.chat.id) return;
    this.chat = { ...this.chat, ...chat };
    this.renderHeader();
    if (fromServer) this.hooks.onChatChanged(this.chat);
  }

  renderHeader() {
    const c = this.chat;
    const { title, sub, avatar, ai, auto, error } = this.el;
    title.textContent = c.name || c.platformChatId || 'Unknown';
    paintAvatar(avatar, c);
    const bits = [sourceBadge(c.source)];
    if (c.platform && c.platform !== c.source) bits.push(h('span', { class: 'muted', text: `via ${sourceLabel(c.platform)}` }));
    if (c.isGroup) bits.push(h('span', { class: 'chip', text: 'Group' }));
    if (c.platformChatId) bits.push(h('span', { class: 'muted mono', title: 'Platform chat id', text: c.platformChatId }));
    sub.replaceChildren(...bits);
    ai.hidden = !c.aiRunning;
    if (!this.autoBusy) auto.checked = !!c.autoMode;
    error.hidden = !c.error;
    error.textContent = c.error ? `Last error: ${c.error}` : '';
  }

  async toggleAutoMode(want) {
    const chat = this.chat;
    if (!chat) return;
    this.autoBusy = true;
    this.el.auto.disabled = true;
    try {
      const updated = await this.api.setAutoMode(chat.id, want);
      if (this.chat?.id !== chat.id) return;
      this.autoBusy = false;
      this.updateChat(updated ?? { ...chat, autoMode: want });
      toast(this.chat.autoMode ? 'Auto-reply is on for this chat.' : 'Auto-reply is off: you are answering this chat.', 'info', 3000);
    } catch (e) {
      if (this.chat?.id === chat.id) this.el.auto.checked = !want;
      toast(`Could not change auto-reply: ${e.message}`, 'error');
    } finally {
      this.autoBusy = false;
      this.el.auto.disabled = false;
    }
  }

  autosize() {
    const r = this.el.reply;
    r.style.height = 'auto';
    r.style.height = Math.min(r.scrollHeight, 180) + 'px';
  }

  async send() {
    const chat = this.chat;
    const text = this.el.reply.value.trim();
    if (!chat || !text) return;
    const body = { chatId: chat.id, source: chat.source, platformChatId: chat.platformChatId, text, responseMode: 'operator' };
    // Instagram (and anything else relayed by Brevo) is addressed by the visitor id, which is the platform chat id.
    if (chat.source === 'instagram' || chat.platform === 'brevo') body.visitorId = chat.platformChatId;
    this.el.reply.value = '';
    this.autosize();
    this.el.send.disabled = true;
    try {
      const msg = await this.api.send(body);
      if (msg && this.chat?.id === chat.id) {
        this.upsert(msg, { own: true });
        // The `message` event may have beaten the 202 answer: follow our own reply either way.
        this.scrollToBottom();
      }
    } catch (e) {
      toast(`Message not sent: ${e.message}`, 'error', 8000);
      if (this.chat?.id === chat.id && !this.el.reply.value) { this.el.reply.value = text; this.autosize(); }
    } finally {
      this.el.send.disabled = false;
    }
  }

  renderMessage(m, prevLi) {
    const incoming = !!m.isIncoming;
    const status = m.status || (incoming ? 'received' : 'sent');
    const bubble = h('div', { class: 'bubble' });
    bubble.append(h('div', { class: `author author--${incoming ? 'customer' : m.responseMode || 'operator'}`, text: authorOf(m, this.chat) }));

    const media = this.renderMedia(m, prevLi);
    if (media) bubble.append(media);
    const caption = m.type === 'document' && m.content === m.fileName ? null : m.content;
    if (caption) {
      const label = m.mediaFileId && (m.type === 'voice' || m.type === 'audio' || m.type === 'video_note') ? 'Transcript'
        : m.mediaFileId && (m.type === 'image' || m.type === 'sticker') ? 'Description' : null;
      bubble.append(h('div', { class: label ? 'text text--derived' : 'text' },
        label ? h('span', { class: 'derived-label', text: label }) : null, caption));
    } else if (!media) {
      bubble.append(h('div', { class: 'text muted', text: TYPE_LABEL[m.type] ? `[${TYPE_LABEL[m.type]}]` : '[empty message]' }));
    }

    const meta = h('div', { class: 'meta' }, h('time', { datetime: m.timestamp, title: fullTime(m.timestamp), text: clockTime(m.timestamp) }));
    const st = STATUS[status];
    if (st && !(incoming && status === 'received')) {
      meta.append(h('span', { class: `status status--${status}` }, h('span', { 'aria-hidden': 'true', text: st.icon }), st.label));
    }
    bubble.append(meta);
    if (m.error && (status === 'failed' || status === 'discarded' || status === 'unanswered')) {
      bubble.append(h('div', { class: 'msg-error', role: 'note', text: m.error }));
    }
    const cls = `msg msg--${incoming ? 'in' : 'out'} msg--${status}`;
    if (prevLi) {
      // Update in place (keeps the element, its day/grouping classes are recomputed by regroup()).
      const keep = ['newday', 'cont'].filter((c) => prevLi.classList.contains(c));
      prevLi.className = cls;
      prevLi.classList.add(...keep);
      prevLi.dataset.status = status;
      prevLi.replaceChildren(bubble);
      return prevLi;
    }
    return h('li', { class: cls, 'data-testid': 'message', 'data-message-id': m.id, 'data-status': status }, bubble);
  }

  renderMedia(m, prevLi) {
    if (!m.mediaFileId) {
      if (m.type === 'location' || m.type === 'contact' || m.type === 'poll') return h('div', { class: 'kind', text: TYPE_LABEL[m.type] });
      return null;
    }
    // Same media as before (e.g. a status change): keep the loaded element and its blob URL.
    const kept = prevLi?.querySelector(`.media[data-media-id="${CSS.escape(m.mediaFileId)}"]`);
    if (kept) return kept;
    const box = h('div', { class: `media media--${m.type}`, 'data-media-id': m.mediaFileId, 'data-type': m.type });
    box.meta = m;
    if (m.type === 'document') {
      const name = m.fileName || m.content || 'document';
      box.append(h('button', { type: 'button', class: 'doc', onclick: (e) => this.download(e.currentTarget, m, name) },
        h('span', { class: 'doc-icon', 'aria-hidden': 'true' }),
        h('span', { class: 'doc-name', text: name }),
        h('span', { class: 'doc-action', text: 'Download' })));
      return box;
    }
    box.append(h('div', { class: 'media-placeholder', text: `${TYPE_LABEL[m.type] ?? 'Media'} · loading…` }));
    this.mediaObserver.observe(box);
    return box;
  }

  async fetchBlobUrl(mediaFileId) {
    const gen = this.gen;
    const blob = await this.api.mediaBlob(mediaFileId);
    const url = URL.createObjectURL(blob);
    if (gen !== this.gen) { URL.revokeObjectURL(url); throw new DOMException('chat closed', 'AbortError'); }
    this.blobUrls.add(url);
    return { url, blob };
  }

  async loadMedia(box) {
    const m = box.meta;
    try {
      const { url, blob } = await this.fetchBlobUrl(m.mediaFileId);
      const label = TYPE_LABEL[m.type] ?? 'Media';
      let el;
      const mime = m.mimeType || blob.type || '';
      if (m.type === 'image' || (m.type === 'sticker' && !/tgs|x-tgsticker|webm/.test(mime))) {
        el = h('a', { href: url, target: '_blank', rel: 'noopener', class: 'img-link', 'aria-label': `Open ${label.toLowerCase()} full size` },
          h('img', { src: url, alt: m.content || label, loading: 'lazy' }));
      } else if (m.type === 'video' || m.type === 'video_note' || (m.type === 'sticker' && /webm/.test(mime))) {
        el = h('video', { src: url, controls: true, preload: 'metadata', 'aria-label': label });
      } else if (m.type === 'voice' || m.type === 'audio' || mime.startsWith('audio/')) {
        el = h('audio', { src: url, controls: true, preload: 'metadata', 'aria-label': label });
      } else {
        el = h('a', { href: url, download: m.fileName || 'file', class: 'doc' }, h('span', { class: 'doc-icon', 'aria-hidden': 'true' }),
          h('span', { class: 'doc-name', text: m.fileName || label }), h('span', { class: 'doc-action', text: 'Download' }));
      }
      box.replaceChildren(el);
    } catch (e) {
      if (e.name === 'AbortError') return;
      box.replaceChildren(h('div', { class: 'media-placeholder media-placeholder--error' }, `${TYPE_LABEL[m.type] ?? 'Media'} unavailable: ${e.message} `,
        h('button', { type: 'button', class: 'link', text: 'Retry', onclick: () => { box.replaceChildren(); this.loadMedia(box); } })));
    }
  }

  async download(button, m, name) {
    button.disabled = true;
    const action = button.querySelector('.doc-action');
    action.textContent = 'Downloading…';
    try {
      button.blobUrl ??= (await this.fetchBlobUrl(m.mediaFileId)).url;
      const url = button.blobUrl;
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      action.textContent = 'Download';
    } catch (e) {
      if (e.name !== 'AbortError') { action.textContent = 'Retry'; toast(`Download failed: ${e.message}`, 'error'); }
    } finally {
      button.disabled = false;
    }
  }
}

function authorOf(m, chat) {
  if (m.isIncoming) return m.senderName || chat?.name || 'Customer';
  switch (m.responseMode) {
    case 'ai': return 'AI';
    case 'api': return m.senderName ? `API · ${m.senderName}` : 'API';
    default: return m.senderName && m.senderName !== 'Operator' ? `Operator · ${m.senderName}` : 'Operator';
  }
}
