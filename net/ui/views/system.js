// #/system (admin only): this start's recovery report (GET /system/recovery)
// and the verifier: run it (POST /system/verify, behind the confirmation: it
// may apply fixes) and see its result.
import { api } from '../api.js';
import { busy, confirmAction, el, figureGrid, setFigure, toast } from '../dom.js';
import { session } from '../session.js';

export const system = {
  name: 'system',
  allowed: () => session.admin,
  render(root, _params, ready) {
    const report = figureGrid('recovery', [
      { key: 'previous_shutdown', label: 'Previous shutdown' }, { key: 'recovered', label: 'Recovered' },
      { key: 'skipped', label: 'Skipped' }, { key: 'failed', label: 'Failed' },
      { key: 'tokens_restored', label: 'Tokens restored' }, { key: 'duration_ms', label: 'Duration (ms)' },
      { key: 'integrity_check', label: 'Integrity check' },
    ]);
    const details = el('pre', { id: 'recovery-report', className: 'code' });
    const result = el('pre', { id: 'verify-result', className: 'reply', hidden: true });
    const run = el('button', { type: 'button', id: 'run-verifier' }, 'Run the verifier');
    const form = el('div', { className: 'panel' }, el('h2', {}, 'Verifier'),
      el('p', { className: 'note' }, 'Checks the event log against the state it built, and applies the fixes it knows.'),
      el('div', { className: 'actions' }, run), result);
    root.append(el('h1', {}, 'System'), el('h2', {}, 'Recovery at this start'), report, details, form);

    run.addEventListener('click', async () => {
      if (!(await confirmAction('Run the verifier now? It reads the whole log and may apply fixes.', 'Run'))) return;
      await busy(form, async () => {
        try {
          const outcome = await api('POST', '/system/verify');
          result.hidden = false;
          result.dataset.status = outcome.status;
          result.textContent = JSON.stringify(outcome, null, 2);
        } catch (error) {
          toast(`verify: ${error.message}`);
        }
      });
    });

    api('GET', '/system/recovery').then((r) => {
      for (const key of ['previous_shutdown', 'recovered', 'skipped', 'failed', 'tokens_restored', 'duration_ms', 'integrity_check']) {
        setFigure(report, key, r[key] === undefined || r[key] === null ? '—'
          : typeof r[key] === 'object' ? JSON.stringify(r[key]) : String(r[key]));
      }
      details.textContent = JSON.stringify(r, null, 2);
      ready();
    }, (error) => toast(`recovery: ${error.message}`));
    return () => {};
  },
};
