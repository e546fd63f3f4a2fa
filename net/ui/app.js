// The dashboard's entry point: sign-in, the hash router (#/overview,
// #/services, #/services/<id>, #/tokens, #/secrets, #/registry, #/system),
// the nav (entries the token may not use are hidden), the live feed's start
// and stop. Each view module exports {name, allowed(), render(root, params,
// ready) -> cleanup}; a view calls ready() once its first data is on screen,
// which sets document.body.dataset.view (the browser test waits for it).
import { api } from './api.js';
import { el, toast } from './dom.js';
import { live } from './live.js';
import { session } from './session.js';
import { overview } from './views/overview.js';
import { registry } from './views/registry.js';
import { secrets } from './views/secrets.js';
import { service } from './views/service.js';
import { services } from './views/services.js';
import { system } from './views/system.js';
import { tokens } from './views/tokens.js';

const VIEWS = { overview, services, service, tokens, secrets, registry, system };

const signInView = document.getElementById('sign-in-view');
const signInForm = document.getElementById('sign-in');
const tokenInput = document.getElementById('token');
const viewRoot = document.getElementById('view');
const nav = document.getElementById('nav');
const navToggle = document.getElementById('nav-toggle');
const who = document.getElementById('who');
const liveState = document.getElementById('live-state');
const signOutButton = document.getElementById('sign-out');
const tenantForm = document.getElementById('tenant-form');
const tenantInput = document.getElementById('tenant');

let cleanup = null;
let rendering = 0;

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [name, ...rest] = hash.split('/');
  if (name === 'services' && rest.length > 0 && rest.join('/') !== '') {
    return { view: 'service', params: { id: decodeURIComponent(rest.join('/')) } };
  }
  return { view: VIEWS[name] ? name : 'overview', params: {} };
}

function stopView() {
  if (cleanup) {
    try {
      cleanup();
    } catch (error) {
      toast(error.message);
    }
  }
  cleanup = null;
  viewRoot.replaceChildren();
}

function showView() {
  if (!session.whoami) return;
  stopView();
  let { view, params } = route();
  if (!VIEWS[view].allowed()) view = 'overview';
  const generation = ++rendering;
  document.body.dataset.view = '';
  for (const link of nav.querySelectorAll('a[data-nav]')) {
    const current = link.dataset.nav === view || (view === 'service' && link.dataset.nav === 'services');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const root = el('section', { className: `view view-${view}` });
  viewRoot.append(root);
  const ready = () => {
    if (generation === rendering) document.body.dataset.view = view;
  };
  cleanup = VIEWS[view].render(root, params, ready);
  setNavOpen(false);
}

function setNavOpen(open) {
  nav.classList.toggle('open', open);
  navToggle.setAttribute('aria-expanded', String(open));
}

function showSignIn(message) {
  live.stop();
  stopView();
  nav.hidden = true;
  signOutButton.hidden = true;
  liveState.hidden = true;
  tenantForm.hidden = true;
  who.textContent = '';
  signInView.hidden = false;
  tokenInput.value = '';
  if (message) toast(message);
  document.body.dataset.view = 'sign-in';
  tokenInput.focus();
}

async function enter() {
  signInView.hidden = true;
  const me = session.whoami;
  who.textContent = me.admin ? 'admin' : `tenant ${me.tenant}`;
  for (const link of nav.querySelectorAll('a[data-nav]')) {
    const view = VIEWS[link.dataset.nav];
    link.hidden = !view.allowed();
  }
  nav.hidden = false;
  signOutButton.hidden = false;
  // The admin acts for one tenant at a time, picked here.
  tenantForm.hidden = !me.admin;
  tenantInput.value = session.shownTenant;
  await startLive();
  liveState.hidden = !session.can('events');
  showView();
}

// Live from now on: the watch starts after the last committed event.
async function startLive() {
  live.stop();
  if (!session.can('events')) return;
  try {
    const health = await api('GET', '/health');
    live.start(typeof health.events === 'number' ? health.events : 0);
  } catch (error) {
    toast(`live feed: ${error.message}`);
  }
}

signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = signInForm.querySelector('button');
  button.disabled = true;
  try {
    await session.signIn(tokenInput.value);
    tokenInput.value = '';
    await enter();
  } catch (error) {
    toast(`sign-in: ${error.message}`);
  } finally {
    button.disabled = false;
  }
});

signOutButton.addEventListener('click', () => session.signOut());
// The admin switches tenant: every view and the live feed follow it.
tenantForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!session.pickTenant(tenantInput.value)) {
    toast('a tenant id is letters, digits, "_", "-" and "." (at most 128)');
    tenantInput.value = session.shownTenant;
    return;
  }
  await startLive();
  if (location.hash.startsWith('#/services/')) location.hash = '#/services';  // that service is the other tenant's
  else showView();
});
session.onSignOut((reason) => showSignIn(reason));
navToggle.addEventListener('click', () => setNavOpen(!nav.classList.contains('open')));
window.addEventListener('hashchange', showView);
live.on('state', (state) => {
  liveState.textContent = state;
  liveState.dataset.state = state;
});

async function start() {
  if (!session.restore()) {
    showSignIn();
    return;
  }
  try {
    await session.signIn(session.token);
    await enter();
  } catch (error) {
    session.signOut();
  }
}

start();
