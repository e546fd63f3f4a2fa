// The signed-in token: held in a variable for this tab and in sessionStorage
// so a reload keeps it (never localStorage: it must not outlive the tab), and
// what the token may do, from GET /auth/whoami. "Sign out" and a 401 clear it.

const STORAGE_KEY = 'solo.token';
const TENANT_KEY = 'solo.tenant';
const TENANT_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

const listeners = new Set();

export const session = {
  token: '',
  whoami: null,  // {tenant, admin, permissions, token_id, expires_at}
  // The tenant the admin acts for (X-Tenant-ID, and ?tenant= on /ws); a
  // tenant's token always acts for its own, so this stays '' for it.
  tenant: '',

  // The tenant the page shows: the admin's pick, or the token's own.
  get shownTenant() {
    if (!this.whoami) return '';
    return this.whoami.admin ? this.tenant || 'default' : this.whoami.tenant;
  },

  // The admin picks a tenant to act for; false when the id is not valid.
  pickTenant(tenant) {
    const value = String(tenant).trim();
    if (!TENANT_PATTERN.test(value)) return false;
    this.tenant = value;
    try {
      sessionStorage.setItem(TENANT_KEY, value);
    } catch {
      // memory only
    }
    return true;
  },

  restore() {
    try {
      this.token = sessionStorage.getItem(STORAGE_KEY) || '';
      this.tenant = sessionStorage.getItem(TENANT_KEY) || '';
    } catch {
      this.token = '';
    }
    return this.token !== '';
  },

  async signIn(token) {
    this.token = token.trim();
    const response = await fetch('/auth/whoami', {
      headers: { Authorization: `Bearer ${this.token}` },
      cache: 'no-store',
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      this.token = '';
      this.whoami = null;
      throw new Error(body && body.message ? body.message : `sign-in failed (${response.status})`);
    }
    this.whoami = body;
    try {
      sessionStorage.setItem(STORAGE_KEY, this.token);
    } catch {
      // Storage refused (private mode): the token lives in memory only.
    }
    return body;
  },

  signOut(reason = '') {
    this.token = '';
    this.tenant = '';
    this.whoami = null;
    try {
      sessionStorage.removeItem(STORAGE_KEY);
      sessionStorage.removeItem(TENANT_KEY);
    } catch {
      // nothing stored
    }
    for (const listener of listeners) listener(reason);
  },

  // The server answered 401: the token no longer works.
  expire(message) {
    if (this.token) this.signOut(message || 'the token is no longer valid');
  },

  onSignOut(listener) {
    listeners.add(listener);
  },

  get admin() {
    return Boolean(this.whoami && this.whoami.admin);
  },

  // Whether the token holds `permission` (admin: everything; tenant_admin:
  // everything but admin), as docs/http-api.md's permission table says. The
  // server decides in the end; this only hides what would be refused.
  can(permission) {
    if (!this.whoami) return false;
    if (this.whoami.admin) return true;
    const permissions = Array.isArray(this.whoami.permissions) ? this.whoami.permissions : [];
    if (permission === 'admin') return false;
    return Boolean(this.whoami.tenant_admin) || permissions.includes('tenant_admin') || permissions.includes(permission);
  },
};
