// The chat list: paged from REST (newest first), kept live from `chat` events.
import { h, sourceBadge, paintAvatar, relativeTime, fullTime } from './ui.js';

const PER_PAGE = 50;
const ts = (c) => Date.parse(c.updated || c.lastMessageAt || 0) || 0;

export class ChatList {
  /** @param {import('./api.js').Api} api @param {(chat: object) => void} onOpen */
  constructor(api, onOpen) {
    this.api = api;
    this.onOpen = onOpen;
    this.ul = document.getElementById('chat-list');
    this.scroller = document.getElementById('list-scroll');
    this.footer = document.getElementById('list-footer');
    this.moreBtn = document.getElementById('load-more');
    this.summary = document.getElementById('list-summary');
    this.filter = { source: '', q: '' };
    this.selectedId = null;
    this.clear();

    this.moreBtn.addEventListener('click', () => this.loadNext());
    this.ul.addEventListener('click', (e) => {
      const btn = e.target.closest('[data-chat-id]');
      if (btn) this.open(btn.dataset.chatId);
    });
    this.ul.addEventListener('keydown', (e) => this.onKey(e));
    // Load the next page when the footer comes near the viewport of the list.
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((en) => en.isIntersecting)) this.loadNext();
    }, { root: this.scroller, rootMargin: '400px 0px' });
    this.observer.observe(this.footer);
    setInterval(() => this.refreshTimes(), 30_000);
  }

  clear() {
    this.abort?.abort();
    this.items = [];          // chats in display order
    this.nodes = new Map();   // id -> <li>
    this.page = 0;
    this.totalPages = 1;
    this.totalItems = 0;
    this.loading = false;
    this.failed = false;
    this.ul.replaceChildren();
    this.moreBtn.hidden = true;
    this.summary.textContent = '';
  }

  setFilter(filter) {
    Object.assign(this.filter, filter);
    return this.reset();
  }

  /** Refetch from page 1 with the current filter (also used on `resync`). */
  async reset() {
    const focusedId = document.activeElement?.closest?.('#chat-list [data-chat-id]')?.dataset.chatId;
    this.clear();
    this.summary.textContent = 'Loading chats…';
    await this.loadNext();
    if (focusedId) this.nodes.get(focusedId)?.querySelector('button')?.focus();
  }

  get hasMore() { return this.page < this.totalPages; }

  async loadNext() {
    if (this.loading || (!this.hasMore && this.page > 0)) return;
    this.loading = true;
    this.footer.dataset.loading = 'true';
    const abort = (this.abort = new AbortController());
    try {
      const res = await this.api.chats({ page: this.page + 1, perPage: PER_PAGE, ...this.filter }, abort.signal);
      if (abort.signal.aborted) return;
      this.page = res.page ?? this.page + 1;
      this.totalPages = res.totalPages ?? this.page;
      this.totalItems = res.totalItems ?? this.items.length;
      this.failed = false;
      const frag = document.createDocumentFragment();
      for (const chat of res.items ?? []) {
        // Chats that moved to the top since page 1 shift later pages down: skip the repeats.
        if (this.nodes.has(chat.id)) continue;
        this.items.push(chat);
        const li = this.render(chat);
        this.nodes.set(chat.id, li);
        frag.append(li);
      }
      this.ul.append(frag);
    } catch (e) {
      if (e.name === 'AbortError' || abort.signal.aborted) return;
      this.failed = true;
      this.summary.textContent = `Could not load chats: ${e.message}`;
      this.moreBtn.hidden = false;
      this.moreBtn.textContent = 'Retry';
      return;
    } finally {
      if (this.abort === abort) { this.loading = false; delete this.footer.dataset.loading; }
    }
    this.updateFooter();
    // If the first page does not fill the list, the footer stays visible and the observer will not fire again.
    requestAnimationFrame(() => {
      if (this.hasMore && this.scroller.scrollHeight <= this.scroller.clientHeight + 400) this.loadNext();
    });
  }

  updateFooter() {
    this.moreBtn.textContent = 'Load more';
    this.moreBtn.hidden = !this.hasMore;
    const { source, q } = this.filter;
    if (this.totalItems === 0) {
      this.summary.textContent = source || q ? 'No chats match this filter.' : 'No chats yet.';
    } else {
      const n = this.totalItems.toLocaleString();
      this.summary.textContent = `${n} chat${this.totalItems === 1 ? '' : 's'}${source || q ? ' found' : ''}`;
    }
  }

  matches(chat) {
    const { source, q } = this.filter;
    if (source && chat.source !== source) return false;
    if (q && !(chat.name ?? '').toLowerCase().includes(q.toLowerCase())) return false;
    return true;
  }

  get(id) { return this.items.find((c) => c.id === id); }

  /** A `chat` event (or a PATCH answer): update in place and move it to where its `updated` puts it. */
  upsert(chat) {
    const idx = this.items.findIndex((c) => c.id === chat.id);
    const old = idx >= 0 ? this.items[idx] : null;
    if (old) chat = { ...old, ...chat };
    if (!this.matches(chat)) {
      if (old) { this.remove(idx); this.totalItems = Math.max(0, this.totalItems - 1); this.updateFooter(); }
      return;
    }
    const focused = old && this.nodes.get(chat.id)?.contains(document.activeElement);
    if (old) this.remove(idx, true);
    // Where does it belong? Chats older than everything loaded wait for their page.
    if (!old) this.totalItems++;
    let pos = this.items.findIndex((c) => ts(c) <= ts(chat));
    if (pos < 0) {
      if (this.hasMore && !old) { this.updateFooter(); return; }
      pos = this.items.length;
    }
    // Reuse the row when there is one: its element stays the same for focus, tests and screen readers.
    const li = old ? this.render(chat, this.nodes.get(chat.id)) : this.render(chat);
    this.items.splice(pos, 0, chat);
    this.nodes.set(chat.id, li);
    const before = this.items[pos + 1] ? this.nodes.get(this.items[pos + 1].id) : null;
    // Keep the reading position steady when something is inserted above the visible part of the list.
    const keep = this.scroller.scrollTop > 0 && (!before || before.offsetTop < this.scroller.scrollTop);
    const prevHeight = this.scroller.scrollHeight;
    if (li.parentNode !== this.ul || li.nextElementSibling !== before) this.ul.insertBefore(li, before);
    if (keep) this.scroller.scrollTop += this.scroller.scrollHeight - prevHeight;
    if (focused && !li.contains(document.activeElement)) li.querySelector('button').focus();
    this.updateFooter();
  }

  remove(idx, keepNode = false) {
    const [c] = this.items.splice(idx, 1);
    if (keepNode) return;
    this.nodes.get(c.id)?.remove();
    this.nodes.delete(c.id);
  }

  select(id) {
    this.selectedId = id;
    for (const li of this.ul.querySelectorAll('[aria-current]')) li.removeAttribute('aria-current');
    this.nodes.get(id)?.querySelector('button').setAttribute('aria-current', 'true');
  }

  open(id) {
    const chat = this.get(id);
    if (chat) this.onOpen(chat);
  }

  focusItem(id) {
    this.nodes.get(id)?.querySelector('button')?.focus();
  }

  onKey(e) {
    const btn = e.target.closest('[data-chat-id]');
    if (!btn) return;
    const li = btn.parentElement;
    let target = null;
    if (e.key === 'ArrowDown') target = li.nextElementSibling;
    else if (e.key === 'ArrowUp') target = li.previousElementSibling;
    else if (e.key === 'Home') target = this.ul.firstElementChild;
    else if (e.key === 'End') target = this.ul.lastElementChild;
    else return;
    e.preventDefault();
    target?.querySelector('button')?.focus();
    target?.scrollIntoView({ block: 'nearest' });
  }

  refreshTimes() {
    const now = new Date();
    for (const t of this.ul.querySelectorAll('time[datetime]')) t.textContent = relativeTime(t.dateTime, now);
  }

  render(chat, li) {
    const when = chat.lastMessageAt || chat.updated;
    const markers = [];
    if (chat.error) markers.push(h('span', { class: 'chip chip--error', title: chat.error }, h('span', { class: 'chip-dot', 'aria-hidden': 'true' }), 'Failed'));
    if (chat.unanswered) markers.push(h('span', { class: 'chip chip--unanswered' }, h('span', { class: 'chip-dot', 'aria-hidden': 'true' }), 'Unanswered'));
    const preview = chat.aiRunning
      ? h('span', { class: 'ci-preview ci-preview--ai', text: 'AI is answering…' })
      : h('span', { class: 'ci-preview', text: chat.lastMessage || 'No messages yet' });
    const attrs = {
      type: 'button',
      class: 'chat-item',
      'data-testid': 'chat-item',
      'data-chat-id': chat.id,
      'data-unanswered': chat.unanswered ? 'true' : 'false',
      'data-error': chat.error ? 'true' : 'false',
      'aria-current': chat.id === this.selectedId ? 'true' : null,
    };
    const body = [
      paintAvatar(h('span', { class: 'avatar', 'aria-hidden': 'true' }), chat),
      h('span', { class: 'ci-body' },
        h('span', { class: 'ci-top' },
          h('span', { class: 'ci-name', text: chat.name || chat.platformChatId || 'Unknown' }),
          when ? h('time', { class: 'ci-time', datetime: when, title: fullTime(when), text: relativeTime(when) }) : null),
        preview,
        h('span', { class: 'ci-meta' },
          sourceBadge(chat.source),
          chat.isGroup ? h('span', { class: 'chip', text: 'Group' }) : null,
          h('span', { class: `chip ${chat.autoMode ? 'chip--auto' : 'chip--manual'}`, title: chat.autoMode ? 'Auto-reply is on' : 'Auto-reply is off: an operator answers' },
            chat.autoMode ? 'Auto' : 'Manual'),
          h('span', { class: 'ci-markers' }, markers))),
    ];
    const rowClass = 'chat-row' + (chat.unanswered ? ' is-unanswered' : '');
    if (li) {
      li.className = rowClass;
      const btn = li.firstElementChild;
      for (const [k, v] of Object.entries(attrs)) if (k !== 'class' && k !== 'type') v == null ? btn.removeAttribute(k) : btn.setAttribute(k, v);
      btn.replaceChildren(...body);
      return li;
    }
    return h('li', { class: rowClass }, h('button', attrs, ...body));
  }
}
