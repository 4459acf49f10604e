// #/hosts: the libvirt hosts this Vireo drives (docs/hosts.md), each with its
// health (connected, reconnecting, unreachable and why), since when, and its
// figures (CPUs, memory, driver, versions, guests, and from the sampler's
// last sample its CPU use and memory in use). Admins add a host by URI with
// the credential files its transport needs (an SSH key, or a TLS client
// certificate, key and CA), and remove hosts other than the local one.
// Health and figures follow on their own: the page reads them again every
// few seconds while shown.

import { api } from './api.js';
import { h, icon, clear, uid, fmtRelative, fmtDate } from './dom.js';
import { isAdmin } from './session.js';
import { attempt, confirmDialog } from './ui.js';
import { fmtMemory, fmtPercent } from './units.js';
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

// The credential files a transport needs: paths on the vireod machine.
const CREDENTIALS = [
  { field: 'ssh_key', label: 'SSH key file', testid: 'host-ssh-key', placeholder: '/root/.ssh/id_ed25519 (optional)' },
  { field: 'tls_cert', label: 'TLS client certificate', testid: 'host-tls-cert', placeholder: '/etc/pki/libvirt/clientcert.pem' },
  { field: 'tls_key', label: 'TLS client key', testid: 'host-tls-key', placeholder: '/etc/pki/libvirt/private/clientkey.pem' },
  { field: 'tls_ca', label: 'TLS CA certificate', testid: 'host-tls-ca', placeholder: '/etc/pki/CA/cacert.pem' },
];

function credentialField(c) {
  const id = uid(`host-${c.field}`);
  const input = h('input', { class: 'input mono', id, type: 'text', testid: c.testid, maxlength: '4096', autocomplete: 'off', spellcheck: 'false', placeholder: c.placeholder });
  return { ...c, input, el: h('div', { class: 'field' }, h('label', { for: id }, c.label), input) };
}

function addForm(page) {
  const ids = { name: uid('host-name'), uri: uid('host-uri') };
  const creds = CREDENTIALS.map(credentialField);
  const tls = creds.filter((c) => c.field !== 'ssh_key');
  const f = {
    creds,
    name: h('input', { class: 'input', id: ids.name, type: 'text', testid: 'host-name', maxlength: '64', autocomplete: 'off', required: true, spellcheck: 'false', placeholder: 'e.g. lab-b' }),
    uri: h('input', { class: 'input mono', id: ids.uri, type: 'text', testid: 'host-uri', maxlength: '1024', autocomplete: 'off', required: true, spellcheck: 'false', placeholder: 'qemu+ssh://root@lab-b/system' }),
    add: h('button', { type: 'submit', class: 'btn btn-primary', testid: 'host-add' }, icon('plus'), 'Add host'),
    error: h('p', { class: 'field-error', role: 'alert', testid: 'host-form-error', hidden: true }),
  };
  f.el = h('form', { class: 'token-form', testid: 'host-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); addHost(page); } },
    h('div', { class: 'field' }, h('label', { for: ids.name }, 'Name'), f.name),
    h('div', { class: 'field token-form-name' }, h('label', { for: ids.uri }, 'libvirt URI'), f.uri),
    creds[0].el,
    h('fieldset', { class: 'field-group', testid: 'host-tls' },
      h('legend', {}, 'TLS client files (qemu+tls; all three, or none)'),
      ...tls.map((c) => c.el)),
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
    columns: ['Name', 'State', 'CPUs', 'CPU use', 'Memory', 'Memory in use', 'Guests', 'Driver', page.admin ? 'URI' : null, page.admin ? ACTIONS : null],
    rows: hosts.map((x) => hostRow(page, x)),
  }));
}

// Which credentials an admin sees set (never their paths).
function credentialsNote(x) {
  const c = x.credentials || {};
  const set = [c.ssh_key ? 'SSH key' : null, c.tls_cert ? 'TLS client files' : null].filter(Boolean);
  return set.length ? h('span', { class: 'muted small', testid: 'host-credentials' }, ` · ${set.join(', ')}`) : null;
}

function hostRow(page, x) {
  const f = x.figures || {};
  const live = f.live || {};
  const driver = f.driver ? `${f.driver} ${f.driver_version || ''} · libvirt ${f.libvirt_version || ''}` : '—';
  return h('tr', { testid: 'host-row', dataset: { host: x.name, id: String(x.id) } },
    h('td', { 'data-label': 'Name' }, h('span', { class: 'cell-main' }, icon('server'), h('strong', { testid: 'host-row-name' }, x.name),
      x.local ? h('span', { class: 'pill', title: 'The host vireod starts with' }, 'local') : null)),
    h('td', { 'data-label': 'State', testid: 'host-state' },
      h('span', { class: `pill ${STATE_PILL[x.state] || ''}`, title: x.since ? `since ${fmtDate(x.since)}` : '' }, x.state),
      x.reason ? h('span', { class: 'muted small', testid: 'host-reason' }, ` ${x.reason}`) : null,
      x.since ? h('span', { class: 'muted small' }, ` · ${fmtRelative(x.since)}`) : null),
    h('td', { 'data-label': 'CPUs', class: 'num' }, f.cpus != null ? String(f.cpus) : '—'),
    h('td', { 'data-label': 'CPU use', class: 'num', testid: 'host-cpu' }, fmtPercent(live.cpu)),
    h('td', { 'data-label': 'Memory', class: 'num' }, f.memory_mib != null ? fmtMemory(f.memory_mib * 1048576) : '—'),
    h('td', { 'data-label': 'Memory in use', class: 'num', testid: 'host-memory-used' }, fmtMemory(live.memory_used)),
    h('td', { 'data-label': 'Guests', class: 'num', testid: 'host-vms' }, f.vms != null ? `${f.vms_running} of ${f.vms} running` : '—'),
    h('td', { 'data-label': 'Driver' }, driver),
    page.admin ? h('td', { 'data-label': 'URI', class: 'mono small' }, x.uri || '', credentialsNote(x)) : null,
    page.admin ? h('td', { class: 'col-actions' }, x.local ? null : rowButton({
      ic: 'trash', label: 'Remove', testid: 'host-remove', cls: 'btn-danger-outline', aria: `Remove the host ${x.name}`,
      onclick: () => removeHost(page, x),
    })) : null);
}

async function addHost(page) {
  const { name, uri, creds, add, error } = page.form;
  error.hidden = true;
  const body = { name: name.value.trim(), uri: uri.value.trim() };
  // vireod checks each file and that the TLS ones come together.
  for (const c of creds) if (c.input.value.trim()) body[c.field] = c.input.value.trim();
  if (!body.name || !body.uri) {
    error.textContent = 'Give the host a name and its libvirt URI.';
    error.hidden = false;
    (body.name ? uri : name).focus();
    return;
  }
  // vireod connects to the host first: that may take a while (15 s at most
  // by default), so the button says what is going on.
  const label = add.lastChild;
  add.disabled = true;
  add.setAttribute('aria-busy', 'true');
  label.textContent = 'Connecting…';
  try {
    await api.addHost(body);
    name.value = '';
    uri.value = '';
    for (const c of creds) c.input.value = '';
    load(page);
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
  } finally {
    add.disabled = false;
    add.removeAttribute('aria-busy');
    label.textContent = 'Add host';
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
