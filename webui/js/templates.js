// #/templates: named VM specs that "New VM" starts from. Everyone signed in
// sees them; admins create, edit (with If-Match) and delete them. The form
// checks what it can; vireod's 400 (naming the field) is shown in the dialog.

import { api } from './api.js';
import { h, icon, clear, fmtDate } from './dom.js';
import { field, formDialog } from './forms.js';
import { isAdmin } from './session.js';
import { confirmDialog, showError, toast } from './ui.js';
import { pageHead } from './widgets.js';
import { checkName } from './names.js';
import { osPart, resourcesPart, diskPart, networkPart, loadStorageAndNetworks, describeSpec } from './spec-fields.js';

export function mountTemplates(root) {
  let disposed = false;
  const admin = isAdmin();
  const count = h('span', { class: 'count', testid: 'templates-count' });
  const body = h('div', { class: 'card-body card-body-flush' });
  const newBtn = admin ? h('button', { type: 'button', class: 'btn btn-primary', testid: 'template-new', onclick: () => edit(null) },
    icon('plus'), 'New template') : null;

  root.append(h('section', { class: 'view view-templates', testid: 'view-templates' },
    pageHead('copy', 'Templates',
      admin ? 'Ready-made VM shapes: an OS, resources, a disk and a network. New VM starts from one; every value can still be changed there.'
        : 'Ready-made VM shapes that New VM starts from. Only admins can change them.',
      newBtn),
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Templates ', count)),
      body)));

  async function load() {
    try {
      const { data } = await api.templates();
      if (disposed) return;
      render(data.templates || []);
    } catch (e) {
      if (disposed) return;
      clear(body).append(h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'),
        h('h2', {}, 'Could not load the templates'), h('p', {}, e.message),
        h('button', { type: 'button', class: 'btn', onclick: () => load() }, 'Try again')));
    }
  }

  function render(templates) {
    count.textContent = String(templates.length);
    if (!templates.length) {
      clear(body).append(h('div', { class: 'empty', testid: 'templates-empty' }, icon('copy', 'icon empty-icon'),
        h('h2', {}, 'No templates'),
        h('p', {}, admin ? 'Make one for the VMs you create often.' : 'An admin has not made any templates yet.')));
      return;
    }
    clear(body).append(h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', testid: 'templates-table' },
      h('caption', { class: 'sr-only' }, 'VM templates'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Template'),
        h('th', { scope: 'col' }, 'Makes'),
        h('th', { scope: 'col' }, 'Changed'),
        h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, templates.map(row)))));
  }

  function row(t) {
    const actions = h('div', { class: 'row-actions' },
      h('a', { class: 'btn btn-sm', href: `#/new?template=${encodeURIComponent(t.name)}`, testid: 'template-use', title: `New VM from ${t.name}` },
        icon('plus'), h('span', { class: 'btn-label' }, 'New VM')),
      admin ? h('button', {
        type: 'button', class: 'btn btn-sm btn-icon', testid: 'template-edit', 'aria-label': `Edit ${t.name}`, title: `Edit ${t.name}`,
        onclick: () => edit(t),
      }, icon('edit')) : null,
      admin ? h('button', {
        type: 'button', class: 'btn btn-sm btn-icon btn-danger-outline', testid: 'template-delete', 'aria-label': `Delete ${t.name}`,
        title: `Delete ${t.name}`, onclick: () => remove(t),
      }, icon('trash')) : null);
    return h('tr', { testid: 'template-row', dataset: { template: t.name } },
      h('td', { 'data-label': 'Template' }, h('strong', { testid: 'template-name' }, t.name),
        t.description ? h('span', { class: 'cell-sub' }, t.description) : null),
      h('td', { 'data-label': 'Makes', testid: 'template-spec' }, describeSpec(t.spec)),
      h('td', { 'data-label': 'Changed' }, fmtDate(t.updated_at), t.owner ? h('span', { class: 'cell-sub' }, `by ${t.owner}`) : null),
      h('td', { class: 'col-actions' }, actions));
  }

  // The create/edit dialog: every part of the spec in one form.
  async function edit(current) {
    let inventory;
    try {
      inventory = await loadStorageAndNetworks();
    } catch (e) {
      showError(e, 'Could not load the pools and networks');
      return;
    }
    let etag = null;
    if (current) {
      try {
        const r = await api.getTemplate(current.name);
        current = r.data;
        etag = r.etag;
      } catch (e) {
        showError(e, `Could not read ${current.name}`);
        load();
        return;
      }
    }
    const name = h('input', { class: 'input', type: 'text', testid: 'template-name-input', autocomplete: 'off', spellcheck: 'false', maxlength: '64', required: true, placeholder: 'e.g. small-debian' });
    const description = h('input', { class: 'input', type: 'text', testid: 'template-description', maxlength: '4096', placeholder: 'What it is for' });
    const res = resourcesPart();
    const os = osPart({ onPick: (o) => { res.recommend(o); disk.recommend(o); } });
    const disk = diskPart(inventory);
    const net = networkPart(inventory);
    if (current) {
      name.value = current.name;
      description.value = current.description || '';
      os.set(current.spec);
      res.set(current.spec);
      disk.set(current.spec);
      net.set(current.spec);
    }
    const saved = await formDialog({
      title: current ? `Edit ${current.name}` : 'New template',
      testid: 'template-dialog',
      submitLabel: current ? 'Save' : 'Create template',
      wide: true,
      content: [field({ label: 'Name', control: name }), field({ label: 'Description', control: description }),
        os.box, res.box, disk.box, net.box],
      submit: async () => {
        const n = checkName('vm', name.value);
        const spec = { ...os.value(), ...res.value(), ...disk.value(), ...net.value() };
        const body = { name: n, description: description.value.trim(), spec };
        const { data } = current ? await api.patchTemplate(current.name, body, etag) : await api.createTemplate(body);
        return data;
      },
    });
    if (!saved) return;
    toast(current ? `Template ${saved.name} saved` : `Template ${saved.name} created`);
    if (!disposed) load();
  }

  async function remove(t) {
    const { ok } = await confirmDialog({
      title: `Delete the template ${t.name}?`,
      body: ['VMs made from it stay as they are.'],
      confirmLabel: 'Delete template',
    });
    if (!ok) return;
    try {
      await api.deleteTemplate(t.name);
      toast(`Template ${t.name} was deleted`);
    } catch (e) {
      showError(e, `Could not delete ${t.name}`);
    }
    if (!disposed) load();
  }

  clear(body).append(h('div', { class: 'skeleton' }, h('span'), h('span')));
  load();
  return () => { disposed = true; };
}
