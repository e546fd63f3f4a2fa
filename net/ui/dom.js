// Element builders. Text from the server (service ids, log lines, code) only
// ever becomes text nodes or attribute values: nothing here parses HTML, and
// no module of the dashboard uses innerHTML.

// el('td', {dataset: {col: 'status'}, className: 'ok'}, 'running', child...)
// Attributes: className, dataset {k: v}, on {event: handler}, hidden, and any
// other name as an attribute (set with setAttribute, never as HTML).
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'className') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name === 'on') for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    else if (name === 'hidden') node.hidden = true;
    else if (name === 'value') node.value = value;
    else if (name === 'checked') node.checked = true;
    else if (name === 'disabled') node.disabled = true;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, ...children);
  return node;
}

export function append(node, ...children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

// A <dl>-like grid of figures: [{key, label, value}] -> div.figures with
// [data-figure=key] cells whose .value text can be updated in place.
export function figureGrid(id, figures) {
  return el('div', { id, className: 'figures' }, figures.map((f) =>
    el('div', { className: 'figure', dataset: { figure: f.key } },
      el('span', { className: 'label' }, f.label),
      el('span', { className: 'value' }, f.value ?? '—'))));
}

export function setFigure(grid, key, text) {
  const cell = grid.querySelector(`[data-figure="${key}"] .value`);
  if (cell) cell.textContent = text;
}

// Errors the page shows: a #toast element with role=alert (the newest error
// holds the id); a confirmation (kind 'ok') is role=status without the id.
// Gone after 8 s or on click; at most five at a time.
export function toast(message, kind = 'error') {
  const box = document.getElementById('toasts');
  if (!box) return;
  while (box.children.length >= 5) box.firstChild.remove();
  const error = kind === 'error';
  const item = el('div', { role: error ? 'alert' : 'status', className: `toast ${kind}` }, String(message).slice(0, 500));
  if (error) {
    for (const old of box.querySelectorAll('#toast')) old.removeAttribute('id');
    item.id = 'toast';
  }
  item.addEventListener('click', () => item.remove());
  box.append(item);
  setTimeout(() => item.remove(), 8000);
}

// The in-page confirmation (dialog#confirm, #confirm-yes / #confirm-no):
// resolves true only on "Confirm". window.confirm is not used: headless
// browsers cannot answer it.
export function confirmAction(text, yesLabel = 'Confirm') {
  const dialog = document.getElementById('confirm');
  const yes = document.getElementById('confirm-yes');
  const no = document.getElementById('confirm-no');
  document.getElementById('confirm-text').textContent = text;
  yes.textContent = yesLabel;
  return new Promise((resolve) => {
    const finish = (answer) => {
      yes.removeEventListener('click', onYes);
      no.removeEventListener('click', onNo);
      dialog.removeEventListener('cancel', onNo);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onYes = () => finish(true);
    const onNo = () => finish(false);
    yes.addEventListener('click', onYes);
    no.addEventListener('click', onNo);
    dialog.addEventListener('cancel', onNo);
    dialog.showModal();
  });
}

// A form's named fields as an object of strings.
export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// Disables a form's buttons while `work` runs.
export async function busy(form, work) {
  const buttons = form.querySelectorAll('button');
  for (const b of buttons) b.disabled = true;
  try {
    return await work();
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}
