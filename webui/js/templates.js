// #/templates: named VM specs that "New VM" starts from. Everyone signed in
// sees them; admins create, edit (with If-Match) and delete them. The form
// checks what it can; vireod's 400 (naming the field) is shown in the dialog.

import { api } from './api.js';
import { h, icon, clear, fmtDate } from './dom.js';
import { field, formDialog, textInput } from './forms.js';
import { checkName } from './names.js';
import { isAdmin } from './session.js';
import { loadStorageAndNetworks, describeSpec, specForm } from './spec-fields.js';
import { attempt, confirmDialog, readOrSay, showError, toast } from './ui.js';
import {
  ACTIONS, card, countBadge, dataTable, deleteButton, emptyState, loadError, newButton, pageHead, skeleton,
} from './widgets.js';

// The page's state, passed to every function below.
export function mountTemplates(root) {
  const page = {
    admin: isAdmin(),
    disposed: false,
    el: {
      count: countBadge('templates-count'),
      body: h('div', { class: 'card-body card-body-flush' }, skeleton(2)),
    },
  };
  root.append(h('section', { class: 'view view-templates', testid: 'view-templates' },
    pageHead('copy', 'Templates',
      page.admin ? 'Ready-made VM shapes: an OS, resources, a disk and a network. New VM starts from one; every value can still be changed there.'
        : 'Ready-made VM shapes that New VM starts from. Only admins can change them.',
      page.admin ? newButton({ testid: 'template-new', label: 'New template', onclick: () => edit(page, null) }) : null),
    card({ title: ['Templates ', page.el.count], cls: 'card-flush', body: page.el.body })));
  load(page);
  return () => { page.disposed = true; };
}

async function load(page) {
  try {
    const { data } = await api.templates();
    if (page.disposed) return;
    render(page, data.templates || []);
  } catch (e) {
    if (page.disposed) return;
    clear(page.el.body).append(loadError('Could not load the templates', e, () => load(page)));
  }
}

// After a change: read the list again, unless the page is gone.
function reload(page) {
  if (!page.disposed) load(page);
}

function render(page, templates) {
  page.el.count.textContent = String(templates.length);
  if (!templates.length) {
    clear(page.el.body).append(emptyState({
      ic: 'copy', title: 'No templates', testid: 'templates-empty',
      text: page.admin ? 'Make one for the VMs you create often.' : 'An admin has not made any templates yet.',
    }));
    return;
  }
  clear(page.el.body).append(dataTable({
    testid: 'templates-table', caption: 'VM templates',
    columns: ['Template', 'Makes', 'Changed', ACTIONS],
    rows: templates.map((t) => row(page, t)),
  }));
}

function row(page, t) {
  const actions = h('div', { class: 'row-actions' },
    h('a', { class: 'btn btn-sm', href: `#/new?template=${encodeURIComponent(t.name)}`, testid: 'template-use', title: `New VM from ${t.name}` },
      icon('plus'), h('span', { class: 'btn-label' }, 'New VM')),
    page.admin ? h('button', {
      type: 'button', class: 'btn btn-sm btn-icon', testid: 'template-edit', 'aria-label': `Edit ${t.name}`, title: `Edit ${t.name}`,
      onclick: () => edit(page, t),
    }, icon('edit')) : null,
    page.admin ? deleteButton({ testid: 'template-delete', label: `Delete ${t.name}`, onclick: () => remove(page, t) }) : null);
  return h('tr', { testid: 'template-row', dataset: { template: t.name } },
    h('td', { 'data-label': 'Template' }, h('strong', { testid: 'template-name' }, t.name),
      t.description ? h('span', { class: 'cell-sub' }, t.description) : null),
    h('td', { 'data-label': 'Makes', testid: 'template-spec' }, describeSpec(t.spec)),
    h('td', { 'data-label': 'Changed' }, fmtDate(t.updated_at), t.owner ? h('span', { class: 'cell-sub' }, `by ${t.owner}`) : null),
    h('td', { class: 'col-actions' }, actions));
}

// ---- changes ----

// The create (current null) or edit dialog: every part of the spec in one form.
async function edit(page, current) {
  const inventory = await readOrSay(loadStorageAndNetworks, 'Could not load the pools and networks');
  if (!inventory) return;
  let etag = null;
  if (current) {
    try {
      ({ data: current, etag } = await api.getTemplate(current.name));
    } catch (e) {
      showError(e, `Could not read ${current.name}`);
      reload(page);
      return;
    }
  }
  const saved = await templateDialog(current, etag, inventory);
  if (!saved) return;
  toast(current ? `Template ${saved.name} saved` : `Template ${saved.name} created`);
  reload(page);
}

function templateDialog(current, etag, inventory) {
  const name = textInput({ testid: 'template-name-input', maxlength: '64', required: true, placeholder: 'e.g. small-debian' });
  const description = h('input', { class: 'input', type: 'text', testid: 'template-description', maxlength: '4096', placeholder: 'What it is for' });
  const spec = specForm(inventory);
  if (current) {
    name.value = current.name;
    description.value = current.description || '';
    spec.set(current.spec);
  }
  return formDialog({
    title: current ? `Edit ${current.name}` : 'New template',
    testid: 'template-dialog',
    submitLabel: current ? 'Save' : 'Create template',
    wide: true,
    content: [field({ label: 'Name', control: name }), field({ label: 'Description', control: description }),
      spec.os.box, spec.res.box, spec.disk.box, spec.cdrom.box, spec.net.box],
    submit: async () => {
      const body = { name: checkName('vm', name.value), description: description.value.trim(), spec: spec.value() };
      const { data } = current ? await api.patchTemplate(current.name, body, etag) : await api.createTemplate(body);
      return data;
    },
  });
}

async function remove(page, t) {
  const { ok } = await confirmDialog({
    title: `Delete the template ${t.name}?`,
    body: ['VMs made from it stay as they are.'],
    confirmLabel: 'Delete template',
  });
  if (!ok) return;
  await attempt(() => api.deleteTemplate(t.name), `Template ${t.name} was deleted`, `Could not delete ${t.name}`);
  reload(page);
}
