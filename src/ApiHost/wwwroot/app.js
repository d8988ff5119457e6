// Messenger AutoReply operator console: login, wiring of list, conversation and live stream.
import { Api } from './api.js';
import { Stream } from './stream.js';
import { ChatList } from './chat-list.js';
import { ChatView } from './chat-view.js';
import { $, debounce, toast } from './ui.js';

const KEY_STORAGE = 'messengerAutoReply.apiKey';
const CONNECTION_TEXT = { connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…', offline: 'Offline' };

let apiKey = '';
let session = null; // the operator signed in with email and password (GET /api/auth/me), when not by key
let stream = null;
const signedIn = () => Boolean(apiKey || session);
const endedText = () => (session ? 'Your session has ended. Sign in again.' : 'Your API key is no longer accepted. Sign in again.');
const api = new Api(() => apiKey, () => logout(endedText()));
const list = new ChatList(api, (chat) => openChat(chat));
const view = new ChatView(api, {
  onChatChanged: (chat) => list.upsert(chat),
  onClose: () => leaveChat(),
});

// ---- login ----------------------------------------------------------------------------------------------

function showLogin(message = '', field = null) {
  $('#app').hidden = true;
  $('#login').hidden = false;
  const err = $('#login-error');
  err.textContent = message;
  err.hidden = !message;
  for (const id of ['#login-email', '#login-password', '#login-key']) $(id).setAttribute('aria-invalid', 'false');
  const invalid = field ? [field] : message && $('#login-email').value ? ['#login-email', '#login-password'] : message ? ['#login-key'] : [];
  for (const id of invalid) $(id).setAttribute('aria-invalid', 'true');
  $(invalid[0] ?? '#login-email').focus();
}

function loginErrorText(e, byKey = true) {
  if (e.status === 401) return byKey ? 'That API key was not accepted. Check it and try again.' : 'That email and password were not accepted (or the account is disabled).';
  if (e.status === 429) return e.message;
  if (e.status === 0) return 'The server could not be reached. Check your connection and try again.';
  return `Sign-in failed: ${e.message}`;
}

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const email = $('#login-email');
  const password = $('#login-password');
  const input = $('#login-key');
  const submit = $('#login-submit');
  const key = input.value.trim();
  const byPassword = Boolean(email.value.trim() || password.value);
  if (!byPassword && !key) return showLogin('Enter the API key, or your email and password.', '#login-key');
  if (byPassword && (!email.value.trim() || !password.value)) {
    return showLogin('Enter both your email and your password.', email.value.trim() ? '#login-password' : '#login-email');
  }
  submit.disabled = true;
  submit.textContent = 'Checking…';
  try {
    if (byPassword) {
      await api.login(email.value.trim(), password.value);
      password.value = '';
      input.value = '';
      startSession(await api.me());
    } else {
      await api.checkKey(key);
      sessionStorage.setItem(KEY_STORAGE, key);
      input.value = '';
      start(key);
    }
  } catch (err) {
    showLogin(loginErrorText(err, !byPassword), byPassword ? '#login-password' : '#login-key');
    (byPassword ? password : input).select();
  } finally {
    submit.disabled = false;
    submit.textContent = 'Sign in';
  }
});

$('#logout').addEventListener('click', () => logout());

function logout(message = '') {
  if (!signedIn()) return; // several requests may fail with 401 at once
  if (session) api.logout().catch(() => { /* the cookie is refused anyway */ });
  stream?.stop();
  stream = null;
  apiKey = '';
  session = null;
  $('#whoami').textContent = '';
  sessionStorage.removeItem(KEY_STORAGE);
  view.close();
  list.clear();
  document.body.classList.remove('chat-open');
  if (chatIdFromHash()) history.replaceState(null, '', location.pathname + location.search);
  showLogin(message);
}

// ---- console --------------------------------------------------------------------------------------------

function startSession(me) {
  session = me;
  $('#whoami').textContent = `${me.name} · ${me.role}`;
  start('');
}

function start(key) {
  clearTimeout(bootRetry);
  apiKey = key;
  $('#login').hidden = true;
  $('#app').hidden = false;
  list.reset();
  setConnection('connecting');
  stream = new Stream({
    key,
    onUpdate,
    onResync: resync,
    onState: setConnection,
    onClosed: checkKeyAfterClose,
  });
  stream.start();
  const id = chatIdFromHash();
  if (id) openChatById(id);
  else if (!matchMedia('(max-width: 760px)').matches) $('#search').focus();
}

function onUpdate({ type, record }) {
  if (type === 'chat') {
    list.upsert(record);
    view.updateChat(record, false);
  } else if (type === 'message') {
    view.upsert(record);
  }
}

async function resync() {
  await list.reset();
  if (view.isOpen) {
    try { view.updateChat(await api.chat(view.chat.id), false); } catch { /* the list still shows it */ }
    await view.loadNewest();
  }
}

// The browser does not tell us why an EventSource closed; a rejected key must log out, not spin forever.
// (Runs once per close, and closes are already spaced by the stream's backoff.)
let checkingKey = false;
async function checkKeyAfterClose() {
  if (checkingKey || !signedIn()) return;
  checkingKey = true;
  try { if (session) await api.me(); else await api.checkKey(apiKey); } catch (e) { if (e.status === 401) logout(endedText()); }
  finally { checkingKey = false; }
}

function setConnection(state) {
  const el = $('#connection-state');
  el.dataset.state = state;
  el.textContent = CONNECTION_TEXT[state] ?? state;
}

// The open chat lives in the address (#chat=<id>): a reload, a bookmark or a shared link comes back to it,
// and on a phone the Back button returns from the conversation to the list.
function chatIdFromHash() {
  return /^#chat=([a-z0-9]{15})$/.exec(location.hash)?.[1] ?? null;
}

function openChat(chat) {
  list.select(chat.id);
  document.body.classList.add('chat-open');
  const url = `#chat=${chat.id}`;
  // One history entry for "in a chat", whichever chat: Back always leads to the list.
  if (!history.state?.chat) history.pushState({ chat: chat.id, pushed: true }, '', url);
  else history.replaceState({ ...history.state, chat: chat.id }, '', url);
  view.open(chat);
  // On a phone the list disappears: move focus into the conversation.
  if (matchMedia('(max-width: 760px)').matches) $('#chat-title').focus();
}

async function openChatById(id) {
  let chat = list.get(id);
  if (!chat) {
    try {
      chat = await api.chat(id);
    } catch (e) {
      if (e.status === 404) {
        history.replaceState(null, '', location.pathname + location.search);
        toast('That chat does not exist (any more).', 'error');
      } else {
        toast(`Could not open the chat: ${e.message}`, 'error');
      }
      return;
    }
  }
  if (!signedIn()) return;
  if (!history.state?.chat) history.replaceState({ chat: id, pushed: false }, '', `#chat=${id}`);
  openChat(chat);
}

function leaveChat() {
  if (history.state?.pushed) history.back(); // popstate closes the chat
  else {
    history.replaceState(null, '', location.pathname + location.search);
    closeChat();
  }
}

function closeChat() {
  const id = view.chat?.id;
  view.close();
  list.select(null);
  document.body.classList.remove('chat-open');
  if (id) list.focusItem(id);
}

addEventListener('popstate', () => {
  if (!signedIn()) return;
  const id = chatIdFromHash();
  if (!id) { if (view.isOpen) closeChat(); }
  else if (view.chat?.id !== id) openChatById(id);
});

$('#source-filter').addEventListener('change', (e) => list.setFilter({ source: e.target.value }));
const search = debounce((q) => list.setFilter({ q }), 300);
$('#search').addEventListener('input', (e) => search(e.target.value.trim()));

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && document.body.classList.contains('chat-open') && matchMedia('(max-width: 760px)').matches
      && !e.target.closest?.('textarea')) {
    view.hooks.onClose();
  }
});

addEventListener('unhandledrejection', (e) => {
  if (e.reason?.name === 'AbortError') return;
  console.error(e.reason);
  toast(`Something went wrong: ${e.reason?.message ?? e.reason}`, 'error');
});

// ---- boot -----------------------------------------------------------------------------------------------

async function boot() {
  // No key from the address bar: a link carrying the key would leave it in history, bookmarks and screenshots.
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (!key) {
    // A session cookie (HttpOnly: only the server can say) survives a reload.
    try {
      const me = await api.me();
      if (!signedIn() && me.kind === 'operator') startSession(me);
      else if (!signedIn()) showLogin();
    } catch {
      if (!signedIn()) showLogin();
    }
    return;
  }
  try {
    await api.checkKey(key);
    if (!signedIn()) start(key); // unless the operator signed in by hand meanwhile
  } catch (e) {
    if (signedIn()) return;
    if (e.status === 401) sessionStorage.removeItem(KEY_STORAGE);
    const down = e.status === 0 || e.status >= 500;
    showLogin(down ? 'The service is not ready (it may be starting). Trying again…' : loginErrorText(e));
    // Keep trying the stored key by itself until the service is back or the operator signs in by hand.
    if (down) bootRetry = setTimeout(boot, 3000);
  }
}

let bootRetry = 0;
boot();
