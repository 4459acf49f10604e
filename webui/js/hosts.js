// #/hosts: the libvirt hosts this Vireo drives (docs/hosts.md), each with its
// health (connected, reconnecting, unreachable and why), since when, and its
// figures (CPUs, memory, driver, versions, guests). Admins add a host by URI
// with the credential files its transport needs, and remove hosts other
// than the local one. Health follows on its own: the page reads it again
// every few seconds while shown.

import { api } from './api.js';
import { h, icon, clear, uid, fmtRelative, fmtDate } from './dom.js';
import { isAdmin } from './session.js';
import { attempt, confirmDialog } from './ui.js';
import { fmtMemory } from './units.js';
import { ACTIONS, card, countBadge, dataTable, emptyState, loadError, pageHead, rowButton, skeleton } from './widgets.js';

const REFRESH_MS = 5000;
const STATE_PILL = { connected: 'pill-ok', reconnecting: 'pill-warn', unreachable: 'pill-bad' };

export function mountHosts(root) {
  const page = {
    admin: isAdmin(),
    disposed: false,
    timer: null,
    el: {
      count: countBadge('hosts-count'),
      body: h('div', { class: 'card-body card-body-flush' }, skeleton(2)),
    },
  };
  page.form = page.admin ? addForm(page) : null;
  root.append(h('section', { class: 'view view-hosts', testid: 'view-hosts' },
    pageHead('server', 'Hosts',
      'The libvirt hosts this Vireo drives. Each is reached over libvirt’s own remote protocol (qemu+ssh, qemu+tls); a host that goes away is retried on its own, and its guests show as unreachable meanwhile.'),
    page.form ? card({
      title: 'Add a host', ic: 'plus',
      body: h('div', { class: 'card-body' }, page.form.el, page.form.error),
    }) : null,
    card({ title: ['Hosts ', page.el.count], cls: 'card-flush', body: page.el.body })));
  load(page);
  return () => { page.disposed = true; clearTimeout(page.timer); };
}

function addForm(page) {
  const ids = { name: uid('host-name'), uri: uid('host-uri'), key: uid('host-key') };
  const f = {
    name: h('input', { class: 'input', id: ids.name, type: 'text', testid: 'host-name', maxlength: '64', autocomplete: 'off', required: true, spellcheck: 'false', placeholder: 'e.g. lab-b' }),
    uri: h('input', { class: 'input mono', id: ids.uri, type: 'text', testid: 'host-uri', maxlength: '1024', autocomplete: 'off', required: true, spellcheck: 'false', placeholder: 'qemu+ssh://root@lab-b/system' }),
    key: h('input', { class: 'input mono', id: ids.key, type: 'text', testid: 'host-ssh-key', maxlength: '4096', autocomplete: 'off', spellcheck: 'false', placeholder: '/root/.ssh/id_ed25519 (optional)' }),
    add: h('button', { type: 'submit', class: 'btn btn-primary', testid: 'host-add' }, icon('plus'), 'Add host'),
    error: h('p', { class: 'field-error', role: 'alert', testid: 'host-form-error', hidden: true }),
  };
  f.el = h('form', { class: 'token-form', testid: 'host-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); addHost(page); } },
    h('div', { class: 'field' }, h('label', { for: ids.name }, 'Name'), f.name),
    h('div', { class: 'field token-form-name' }, h('label', { for: ids.uri }, 'libvirt URI'), f.uri),
    h('div', { class: 'field' }, h('label', { for: ids.key }, 'SSH key file'), f.key),
    h('div', { class: 'field field-button' }, f.add));
  return f;
}

async function load(page) {
  clearTimeout(page.timer);
  try {
    const { data } = await api.hosts();
    if (page.disposed) return;
    render(page, data.hosts || []);
  } catch (e) {
    if (page.disposed) return;
    clear(page.el.body).append(loadError('Could not load the hosts', e, () => load(page)));
  }
  if (!page.disposed) page.timer = setTimeout(() => load(page), REFRESH_MS);
}

function render(page, hosts) {
  page.el.count.textContent = String(hosts.length);
  if (!hosts.length) {
    clear(page.el.body).append(emptyState({ ic: 'server', title: 'No hosts', testid: 'hosts-empty', text: 'vireod adds the host it starts with by itself.' }));
    return;
  }
  clear(page.el.body).append(dataTable({
    testid: 'hosts-table', caption: 'Hosts',
    columns: ['Name', 'State', 'CPUs', 'Memory', 'Guests', 'Driver', page.admin ? 'URI' : null, page.admin ? ACTIONS : null],
    rows: hosts.map((x) => hostRow(page, x)),
  }));
}

function hostRow(page, x) {
  const f = x.figures || {};
  const driver = f.driver ? `${f.driver} ${f.driver_version || ''} · libvirt ${f.libvirt_version || ''}` : '—';
  return h('tr', { testid: 'host-row', dataset: { host: x.name, id: String(x.id) } },
    h('td', { 'data-label': 'Name' }, h('span', { class: 'cell-main' }, icon('server'), h('strong', { testid: 'host-row-name' }, x.name),
      x.local ? h('span', { class: 'pill', title: 'The host vireod starts with' }, 'local') : null)),
    h('td', { 'data-label': 'State', testid: 'host-state' },
      h('span', { class: `pill ${STATE_PILL[x.state] || ''}`, title: x.since ? `since ${fmtDate(x.since)}` : '' }, x.state),
      x.reason ? h('span', { class: 'muted small', testid: 'host-reason' }, ` ${x.reason}`) : null,
      x.since ? h('span', { class: 'muted small' }, ` · ${fmtRelative(x.since)}`) : null),
    h('td', { 'data-label': 'CPUs', class: 'num' }, f.cpus != null ? String(f.cpus) : '—'),
    h('td', { 'data-label': 'Memory', class: 'num' }, f.memory_mib != null ? fmtMemory(f.memory_mib * 1048576) : '—'),
    h('td', { 'data-label': 'Guests', class: 'num', testid: 'host-vms' }, f.vms != null ? `${f.vms_running} of ${f.vms} running` : '—'),
    h('td', { 'data-label': 'Driver' }, driver),
    page.admin ? h('td', { 'data-label': 'URI', class: 'mono small' }, x.uri || '') : null,
    page.admin ? h('td', { class: 'col-actions' }, x.local ? null : rowButton({
      ic: 'trash', label: 'Remove', testid: 'host-remove', cls: 'btn-danger-outline', aria: `Remove the host ${x.name}`,
      onclick: () => removeHost(page, x),
    })) : null);
}

async function addHost(page) {
  const { name, uri, key, add, error } = page.form;
  error.hidden = true;
  const body = { name: name.value.trim(), uri: uri.value.trim() };
  if (key.value.trim()) body.ssh_key = key.value.trim();
  if (!body.name || !body.uri) {
    error.textContent = 'Give the host a name and its libvirt URI.';
    error.hidden = false;
    (body.name ? uri : name).focus();
    return;
  }
  add.disabled = true;
  try {
    await api.addHost(body);
    name.value = '';
    uri.value = '';
    key.value = '';
    load(page);
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
  } finally {
    add.disabled = false;
  }
}

async function removeHost(page, x) {
  const { ok } = await confirmDialog({
    title: `Remove the host “${x.name}”?`,
    body: ['Vireo stops driving it: its guests leave the lists here but keep running there. You can add it again later.'],
    confirmLabel: 'Remove host',
  });
  if (!ok) return;
  await attempt(() => api.deleteHost(x.id), `Host “${x.name}” removed`, `Could not remove “${x.name}”`);
  load(page);
}
