// #/tokens: the tokens this token may see (GET /tokens: the admin all, a
// tenant_admin its tenant's, any other token itself and what it granted),
// revoke (DELETE /tokens/{id}, behind the confirmation), and grant
// (POST /tokens) of permissions this token holds (the server refuses wider
// ones). A new token is shown once, as text.
import { api } from '../api.js';
import { busy, confirmAction, el, toast } from '../dom.js';
import { formatExpiry, formatTime } from '../format.js';
import { session } from '../session.js';

const PERMISSIONS = ['deploy', 'kill', 'swap', 'status', 'call', 'logs', 'events', 'secrets:read', 'secrets:write',
  'storage:read', 'storage:write', 'registry', 'grant', 'metrics', 'tenant_admin', 'admin'];

// What the grant form offers: the admin everything, a tenant_admin all but
// admin, any other token its own permissions.
function grantable() {
  if (session.admin) return PERMISSIONS;
  if (session.can('tenant_admin')) return PERMISSIONS.filter((p) => p !== 'admin');
  return PERMISSIONS.filter((p) => (session.whoami.permissions || []).includes(p));
}

export const tokens = {
  name: 'tokens',
  allowed: () => session.can('grant'),
  render(root, _params, ready) {
    const body = el('tbody');
    const table = el('table', { id: 'tokens-table', className: 'data' },
      el('thead', {}, el('tr', {}, ['Token id', 'Tenant', 'Permissions', 'Resource', 'Expires', 'Created', 'Parent', 'State', '']
        .map((title) => el('th', { scope: 'col' }, title)))), body);
    root.append(el('h1', {}, 'Tokens'), el('div', { className: 'table-scroll' }, table), grantForm(() => load()));

    async function revoke(token) {
      const own = token.token_id === session.whoami.token_id;
      const text = own ? 'Revoke the token you are signed in with? This page signs out.'
        : `Revoke ${token.token_id} and every token granted from it?`;
      if (!(await confirmAction(text, 'Revoke'))) return;
      try {
        const result = await api('DELETE', `/tokens/${encodeURIComponent(token.token_id)}`);
        toast(`revoked ${result.revoked} token(s)`, 'ok');
        if (own) session.signOut('this token was revoked');
        else load();
      } catch (error) {
        toast(`revoke: ${error.message}`);
      }
    }

    async function load() {
      try {
        const result = await api('GET', '/tokens');
        body.replaceChildren(...(result.tokens || []).map((t) => {
          const own = t.token_id === session.whoami.token_id;
          const button = t.revoked ? '' : el('button', { type: 'button', className: 'danger', dataset: { revoke: t.token_id } }, 'Revoke');
          if (button) button.addEventListener('click', () => revoke(t));
          return el('tr', { dataset: { tokenId: t.token_id } },
            el('td', { className: 'mono' }, t.token_id, own ? ' (this token)' : ''),
            el('td', {}, t.tenant_id),
            el('td', {}, (t.permissions || []).join(', ')),
            el('td', {}, t.resource),
            el('td', {}, formatExpiry(t.expires_at)),
            el('td', {}, formatTime(t.created_at)),
            el('td', { className: 'mono' }, t.parent_id || '—'),
            el('td', { className: t.revoked ? 'badge-cell killed' : 'badge-cell running' }, t.revoked ? 'revoked' : 'active'),
            el('td', {}, button));
        }));
      } catch (error) {
        toast(`tokens: ${error.message}`);
      }
    }

    load().then(ready);
    return () => {};
  },
};

function grantForm(onGranted) {
  const boxes = grantable().map((p) => el('label', { className: 'check' },
    el('input', { type: 'checkbox', name: 'permission', value: p }), p));
  const tenant = session.admin
    ? el('label', {}, 'Tenant (admin only; "*" for admin or monitoring tokens)', el('input', { name: 'tenant_id', placeholder: 'default' }))
    : null;
  const resource = el('input', { name: 'resource', value: '*', placeholder: '* or services/<id>' });
  const ttl = el('input', { name: 'ttl_seconds', type: 'number', min: '1', max: '3155760000', placeholder: 'never expires' });
  const shown = el('pre', { id: 'new-token', className: 'reply', hidden: true });
  const form = el('form', { id: 'grant-form', className: 'panel' },
    el('h2', {}, 'Grant a token'),
    el('div', { className: 'checks' }, boxes),
    tenant,
    el('label', {}, 'Resource', resource),
    el('label', {}, 'Lifetime (seconds)', ttl),
    el('div', { className: 'actions' }, el('button', { type: 'submit' }, 'Grant')),
    shown);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const permissions = [...form.querySelectorAll('input[name=permission]:checked')].map((b) => b.value);
    if (permissions.length === 0) {
      toast('pick at least one permission');
      return;
    }
    const request = { permissions, resource: resource.value.trim() || '*' };
    if (tenant) {
      const value = tenant.querySelector('input').value.trim();
      if (value) request.tenant_id = value;
    }
    if (ttl.value) request.ttl_seconds = Number(ttl.value);
    await busy(form, async () => {
      try {
        const result = await api('POST', '/tokens', request);
        shown.hidden = false;
        shown.textContent = `${result.token}\n\ntoken id ${result.token_id}, tenant ${result.tenant_id}: shown once, copy it now.`;
        onGranted(result);
      } catch (error) {
        toast(`grant: ${error.message}`);
      }
    });
  });
  return form;
}
