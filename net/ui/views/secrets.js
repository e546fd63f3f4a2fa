// #/secrets: the tenant's secret names (GET /secrets; values are never
// fetched), and with secrets:write a form to store one (POST /secrets) and a
// delete button per name (DELETE /secrets/{key}, behind the confirmation).
import { api } from '../api.js';
import { busy, confirmAction, el, toast } from '../dom.js';
import { session } from '../session.js';

export const secrets = {
  name: 'secrets',
  allowed: () => session.can('secrets:read') || session.can('secrets:write'),
  render(root, _params, ready) {
    const writable = session.can('secrets:write');
    const list = el('ul', { id: 'secrets-list', className: 'feed' });
    root.append(el('h1', {}, 'Secrets'), el('p', { className: 'note' }, 'Names only: values are never shown here.'), list);

    async function remove(key) {
      if (!(await confirmAction(`Delete the secret ${key}? Services bound to it lose it at their next start.`, 'Delete'))) return;
      try {
        await api('DELETE', `/secrets/${encodeURIComponent(key)}`);
        toast(`deleted ${key}`, 'ok');
        load();
      } catch (error) {
        toast(`delete: ${error.message}`);
      }
    }

    async function load() {
      try {
        const result = await api('GET', '/secrets');
        const keys = result.secrets || [];
        list.replaceChildren(...(keys.length === 0 ? [el('li', { className: 'note' }, 'No secrets.')] : keys.map((key) => {
          const item = el('li', { dataset: { secret: key } }, key, ' ');
          if (writable) {
            const button = el('button', { type: 'button', className: 'danger' }, 'Delete');
            button.addEventListener('click', () => remove(key));
            item.append(button);
          }
          return item;
        })));
      } catch (error) {
        toast(`secrets: ${error.message}`);
      }
    }

    if (writable) {
      const form = el('form', { id: 'secret-form', className: 'panel' },
        el('h2', {}, 'Store a secret'),
        el('label', {}, 'Name', el('input', { name: 'key', required: true, autocomplete: 'off' })),
        el('label', {}, 'Value', el('input', { name: 'value', type: 'password', required: true, autocomplete: 'off' })),
        el('div', { className: 'actions' }, el('button', { type: 'submit' }, 'Store')));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const key = form.elements.key.value.trim();
        const value = form.elements.value.value;
        await busy(form, async () => {
          try {
            await api('POST', '/secrets', { key, value });
            form.reset();
            toast(`stored ${key}`, 'ok');
            load();
          } catch (error) {
            toast(`store: ${error.message}`);
          }
        });
      });
      root.append(form);
    }
    load().then(ready);
    return () => {};
  },
};
