// Small DOM and formatting helpers. Everything from the server goes through textContent, never innerHTML.

/** h('div', {class: 'x', dataset: {id}}, child, 'text') */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

const SOURCES = { telegram: 'Telegram', instagram: 'Instagram', whatsapp: 'WhatsApp', facebook: 'Facebook' };
export function sourceLabel(source) {
  if (!source) return 'Other';
  return SOURCES[source] ?? source.charAt(0).toUpperCase() + source.slice(1);
}
export function sourceBadge(source) {
  const known = source in SOURCES ? source : 'other';
  return h('span', { class: `badge badge--${known}`, text: sourceLabel(source) });
}

const AVATAR_COLORS = ['#2f5bd3', '#7c3aed', '#0f766e', '#b45309', '#be185d', '#15803d', '#1d4ed8', '#9333ea', '#c2410c', '#0e7490'];
export function paintAvatar(el, chat) {
  const name = (chat.name || chat.platformChatId || '?').trim();
  const parts = name.split(/\s+/).filter(Boolean);
  const initials = ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
  let hash = 0;
  for (const ch of chat.id ?? name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  el.textContent = initials;
  el.style.background = AVATAR_COLORS[hash % AVATAR_COLORS.length];
  return el;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const dayYearFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const weekdayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const longDayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();

/** Short relative time for the chat list: "now", "5 min", "3 h", "Yesterday", "Mon", "12 Mar". */
export function relativeTime(iso, now = new Date()) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const sec = Math.max(0, (now - d) / 1000);
  if (sec < 60) return 'now';
  if (sec < 3600) return `${Math.floor(sec / 60)} min`;
  const days = Math.round((startOfDay(now) - startOfDay(d)) / 86400000);
  if (days === 0) return `${Math.floor(sec / 3600)} h`;
  if (days === 1) return 'Yesterday';
  if (days < 7) return weekdayFmt.format(d);
  return d.getFullYear() === now.getFullYear() ? dayFmt.format(d) : dayYearFmt.format(d);
}

export const clockTime = (iso) => (iso ? timeFmt.format(new Date(iso)) : '');
export const fullTime = (iso) => (iso ? fullFmt.format(new Date(iso)) : '');
export const dayKey = (iso) => { const d = new Date(iso); return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`; };
export function dayLabel(iso, now = new Date()) {
  const d = new Date(iso);
  const days = Math.round((startOfDay(now) - startOfDay(d)) / 86400000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return longDayFmt.format(d);
}

export function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// Toasts and screen-reader announcements
export function toast(message, kind = 'info', ms = 5000) {
  const box = document.getElementById('toasts');
  const el = h('div', { class: `toast toast--${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss', text: '×', onclick: () => el.remove() });
  el.append(close);
  box.append(el);
  setTimeout(() => el.remove(), ms);
}

export function announce(text) {
  const el = document.getElementById('announcer');
  el.textContent = '';
  // A fresh text node after a tick makes screen readers announce repeated identical text too.
  setTimeout(() => { el.textContent = text; }, 50);
}
