// One guest's page (#/vms/NAME): everything GET /api/vms/NAME tells, the
// lifecycle buttons, delete, and the description/tags/autostart form that
// PATCHes with If-Match so two people never silently overwrite each other.
// Device editing (resources, disks, NICs) lives in vm-devices.js.

import { api } from './api.js';
import { h, icon, clear, fmtMiB, fmtDate, fmtRelative, dash } from './dom.js';
import * as live from './live.js';
import { actionButton, deleteVm } from './actions.js';
import { navigate, vmHref } from './router.js';
import { stateBadge } from './states.js';
import { showError, toast } from './ui.js';
import { canOperate, getUser, roleLabel } from './session.js';
import { ResourcesCard, diskActions, diskHeadActions, nicActions, nicHeadActions } from './vm-devices.js';

const TAG_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_TAGS = 32;
const MAX_DESC = 4096;
const DETAIL_ACTIONS = ['start', 'shutdown', 'reboot', 'suspend', 'resume', 'reset', 'poweroff'];

const editable = (vm) => ({ description: vm.description || '', tags: [...(vm.tags || [])], autostart: !!vm.autostart });
const sameEditable = (a, b) => a.description === b.description && a.autostart === b.autostart
  && a.tags.length === b.tags.length && a.tags.every((t, i) => t === b.tags[i]);

export function mountDetail(root, name) {
  let vm = null;          // last VM_DETAIL
  let etag = null;        // its ETag
  let lastSig = null;     // summary signature the detail was fetched for
  let fetching = null;
  let gone = false;
  let disposed = false;

  const view = h('section', { class: 'view view-detail', testid: 'vm-detail', dataset: { vm: name } });
  root.append(view);
  view.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h('a', { href: '#/', testid: 'back-to-list' }, icon('back'), 'All guests'),
    h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/'),
    h('span', { 'aria-current': 'page' }, name)));
  const head = h('div', { class: 'card detail-head' });
  const grid = h('div', { class: 'detail-grid' });
  const overview = card('Overview', 'server', 'detail-overview');
  const os = card('Operating system', 'cpu', 'detail-os');
  const storage = card('Storage', 'disk', 'detail-disks', true, 'span-full');
  const network = card('Network interfaces', 'net', 'detail-nics', true, 'span-wide');
  const display = card('Display', 'screen', 'detail-graphics', true);
  // Viewers see everything but get no buttons and no form: the daemon
  // would refuse any change (403). A card says so where the form would be.
  const operate = canOperate();
  const form = operate ? new EditForm(name, {
    getCurrent: () => ({ vm, etag }),
    onSaved: (data, newEtag) => { setDetail(data, newEtag, { force: true }); live.applyVm(data); },
    onLatest: (data, newEtag) => setDetail(data, newEtag, { force: false }),
  }) : null;
  // What the device editors need of this page.
  const devices = {
    name,
    getCurrent: () => ({ vm, etag }),
    reload: async () => { if (fetching) await fetching; await load(); },
    onSaved: (data, newEtag, renamedTo) => {
      if (renamedTo) { navigate(vmHref(renamedTo)); return; }
      setDetail(data, newEtag, { force: true });
      live.applyVm(data);
    },
  };
  const resources = operate ? new ResourcesCard(devices) : null;
  if (operate) {
    storage.head.append(diskHeadActions(devices));
    network.head.append(nicHeadActions(devices));
  }
  view.append(head, grid);
  // Operators get a Resources card: it shares a row with the NICs.
  if (resources) grid.append(overview.el, os.el, form.el, resources.el, network.el, storage.el, display.el);
  else grid.append(overview.el, os.el, readOnlyCard(), storage.el, network.el, display.el);
  head.append(h('div', { class: 'skeleton' }, h('span'), h('span')));

  function card(title, ic, testid, flush = false, extra = '') {
    const body = h('div', { class: flush ? 'card-body card-body-flush' : 'card-body' });
    const cardHead = h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, icon(ic), title));
    const el = h('section', { class: `card ${extra}`.trim(), testid, 'aria-label': title }, cardHead, body);
    return { el, body, head: cardHead };
  }

  function kv(rows) {
    return h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v, testid]) =>
      h('div', { class: 'kv-row' }, h('dt', {}, k), h('dd', { testid }, v))));
  }

  function table(cols, items, testid, empty) {
    if (!items || items.length === 0) return h('p', { class: 'muted pad', testid: `${testid}-empty` }, empty);
    return h('div', { class: 'table-wrap' }, h('table', { class: 'mini-table', testid },
      h('thead', {}, h('tr', {}, cols.map(([label]) => h('th', { scope: 'col' }, label)))),
      h('tbody', {}, items.map((it) => h('tr', { testid: `${testid}-row`, dataset: { key: it.target || it.mac || '' } },
        cols.map(([label, get]) => h('td', { 'data-label': label }, get(it))))))));
  }

  function renderHead() {
    clear(head);
    const snapPending = currentPending();
    head.append(
      h('div', { class: 'detail-title' },
        h('h1', { testid: 'detail-name' }, vm.name),
        stateBadge(vm.state, 'detail-state'),
        snapPending && snapPending.label ? h('span', { class: 'pending', testid: 'detail-pending' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), snapPending.label) : null,
        h('span', { class: `chip chip-${vm.domain_type === 'kvm' ? 'kvm' : 'tcg'}`, testid: 'detail-domain-type',
          title: vm.domain_type === 'kvm' ? 'Hardware-accelerated (KVM)' : 'Emulated by QEMU TCG (no hardware virtualization)' },
          vm.domain_type === 'kvm' ? 'KVM' : 'TCG'),
        vm.persistent === false ? h('span', { class: 'chip', title: 'Transient: libvirt forgets this guest when it stops' }, 'transient') : null,
        operate ? null : h('span', { class: 'pill pill-info', testid: 'view-only', title: 'Your role can see this guest but not change it' }, icon('eye'), 'View only')),
      vm.description
        ? h('p', { class: 'detail-desc', testid: 'detail-description' }, vm.description)
        : h('p', { class: 'detail-desc muted', testid: 'detail-description' }, 'No description yet.'),
      ...(operate ? [h('div', { class: 'detail-actions' },
        h('div', { class: 'actions', role: 'group', 'aria-label': `Actions for ${vm.name}` },
          DETAIL_ACTIONS.map((a) => actionButton(vm, a, { pending: snapPending }))),
        h('button', {
          type: 'button', class: 'btn btn-sm btn-danger-outline', testid: 'action-delete', 'aria-label': `Delete ${vm.name}`,
          disabled: !!(snapPending && snapPending.inflight),
          onclick: async () => { if (await deleteVm(vm)) navigate('#/'); },
        }, icon('trash'), h('span', { class: 'btn-label' }, 'Delete')))] : []));
  }

  function readOnlyCard() {
    const role = getUser()?.role || 'viewer';
    return h('section', { class: 'card card-readonly', testid: 'detail-readonly', 'aria-label': 'Your access' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, icon('eye'), 'View only')),
      h('div', { class: 'card-body' },
        h('p', {}, `Your role is `, h('strong', {}, roleLabel(role).toLowerCase()),
          ': you can see this guest and follow its state, but not start, stop, edit or delete it.'),
        h('p', { class: 'muted' }, 'An admin can make you an operator if you need to manage it.')));
  }

  function currentPending() {
    return lastSnap ? lastSnap.pending.get(name) || null : null;
  }

  function renderBody() {
    const o = vm.os || {};
    clear(overview.body).append(kv([
      ['State', stateBadge(vm.state, 'detail-overview-state')],
      ['vCPUs', String(dash(vm.vcpus)), 'detail-vcpus'],
      ['Memory', fmtMiB(vm.memory), 'detail-memory'],
      ['Autostart', vm.autostart ? 'On — starts with the host' : 'Off', 'detail-autostart'],
      ['Tags', (vm.tags || []).length ? h('span', { class: 'tags' }, vm.tags.map((t) => h('span', { class: 'tag' }, t))) : h('span', { class: 'muted' }, 'none'), 'detail-tags'],
      ['UUID', h('span', { class: 'copyable' }, h('code', { class: 'mono' }, dash(vm.uuid)), vm.uuid ? copyButton(vm.uuid, 'UUID') : null), 'detail-uuid'],
      ['Created', vm.created_at ? h('span', { title: vm.created_at }, `${fmtDate(vm.created_at)} (${fmtRelative(vm.created_at)})`) : '—', 'detail-created'],
    ]));
    clear(os.body).append(kv([
      ['Type', `${dash(o.type)}`, 'detail-os-type'],
      ['Architecture', dash(o.arch), 'detail-os-arch'],
      ['Machine', h('code', { class: 'mono' }, dash(o.machine)), 'detail-os-machine'],
      ['Boot order', (o.boot || []).length
        ? h('ol', { class: 'boot-order' }, o.boot.map((b) => h('li', { class: 'chip' }, bootLabel(b))))
        : h('span', { class: 'muted' }, o.kernel ? 'direct kernel boot' : 'default'), 'detail-os-boot'],
      ['Kernel', o.kernel ? h('code', { class: 'mono wrap' }, o.kernel) : h('span', { class: 'muted' }, 'none (boots from a device)'), 'detail-os-kernel'],
      ['Hypervisor', vm.domain_type === 'kvm' ? 'KVM (hardware)' : 'QEMU TCG (emulation)', 'detail-os-domain-type'],
    ]));
    clear(storage.body).append(table([
      ['Device', (d) => h('span', { class: 'dev' }, h('code', { class: 'mono' }, dash(d.target)), h('span', { class: 'muted' }, d.device || ''))],
      ['Bus', (d) => dash(d.bus)],
      ['Format', (d) => dash(d.format)],
      ['Source', (d) => (d.source ? h('code', { class: 'mono wrap' }, d.source) : h('span', { class: 'muted' }, d.device === 'cdrom' ? 'empty drive' : 'none'))],
      ...(operate ? [['Actions', (d) => diskActions(devices, d)]] : []),
    ], vm.disks, 'detail-disks-table', 'No disks: this guest boots without storage.'));
    clear(network.body).append(table([
      ['MAC', (n) => h('code', { class: 'mono' }, dash(n.mac))],
      ['Type', (n) => dash(n.type)],
      ['Source', (n) => dash(n.source)],
      ['Model', (n) => dash(n.model)],
      ['Link', (n) => h('span', { class: `chip ${n.link === 'down' ? 'chip-off' : ''}`.trim(), testid: 'nic-link-state' }, n.link || 'up')],
      ...(operate ? [['Actions', (n) => nicActions(devices, n)]] : []),
    ], vm.nics, 'detail-nics-table', 'No network interfaces.'));
    clear(display.body).append(table([
      ['Type', (g) => (g.type || '—').toUpperCase()],
      ['Port', (g) => (g.port === null || g.port === undefined || g.port < 0 ? h('span', { class: 'muted' }, 'auto') : String(g.port))],
      ['Listen', (g) => dash(g.listen)],
    ], vm.graphics, 'detail-graphics-table', 'No graphical display (serial console only).'));
  }

  function setDetail(data, newEtag, { force }) {
    vm = data;
    etag = newEtag;
    const s = live.getVm(name);
    if (s) lastSig = sig(s);
    document.title = `${vm.name} · Vireo`;
    renderHead();
    renderBody();
    if (form) form.update(vm, etag, { force });
    if (resources) resources.update(vm, etag, { force });
  }

  async function load() {
    if (fetching) return fetching;
    fetching = (async () => {
      try {
        const { data, etag: e } = await api.getVm(name);
        if (disposed) return;
        gone = false;
        setDetail(data, e, { force: false });
      } catch (e) {
        if (disposed) return;
        if (e.status === 404) showGone();
        else if (!vm) {
          clear(head).append(h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'), h('h2', {}, `Could not load “${name}”`), h('p', {}, e.message),
            h('button', { type: 'button', class: 'btn', onclick: () => load() }, 'Try again')));
        } else {
          showError(e, `Could not refresh “${name}”`, { key: `detail-${name}` });
        }
      } finally {
        fetching = null;
      }
    })();
    return fetching;
  }

  function showGone() {
    gone = true;
    vm = null;
    document.title = 'Guest not found · Vireo';
    clear(grid);
    clear(head).append(h('div', { class: 'empty', testid: 'vm-missing' }, icon('search', 'icon empty-icon'),
      h('h2', {}, `There is no guest named “${name}”`),
      h('p', {}, getUser()?.role === 'admin'
        ? 'It may have been deleted or renamed.'
        : 'It may have been deleted or renamed, or it is not shared with you.'),
      h('a', { class: 'btn btn-primary', href: '#/' }, 'Back to all guests')));
  }

  const sig = (s) => JSON.stringify(s);
  let lastSnap = null;
  const offLive = live.subscribe((snap) => {
    lastSnap = snap;
    if (!snap.loaded || gone) return;
    const s = live.getVm(name);
    if (!s) {
      // The list says it is gone; the detail answer decides.
      if (vm) load();
      return;
    }
    if (!vm) return;
    if (sig(s) !== lastSig) {
      lastSig = sig(s);
      load();
    } else {
      renderHead(); // pending marks
    }
  });

  // Device and setting changes leave the list's summary alone: follow this
  // guest's own events, coalesced (a hot-plug raises a few).
  let deviceTimer = null;
  const offDevices = live.onObjectEvent('vm', (d) => {
    if (d.name !== name || gone || !['devices', 'edited', 'defined'].includes(d.event)) return;
    clearTimeout(deviceTimer);
    deviceTimer = setTimeout(() => { if (!disposed) load(); }, 150);
  });

  load();
  return () => { disposed = true; clearTimeout(deviceTimer); offLive(); offDevices(); };
}

function bootLabel(b) {
  return { hd: 'Disk', cdrom: 'CD-ROM', network: 'Network (PXE)', fd: 'Floppy' }[b] || b;
}

function copyButton(text, what) {
  return h('button', {
    type: 'button', class: 'btn btn-ghost btn-icon btn-xs', 'aria-label': `Copy ${what}`, title: `Copy ${what}`,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        toast(`${what} copied`);
      } catch {
        toast(`Could not copy the ${what}`, { tone: 'warn' });
      }
    },
  }, icon('copy'));
}

// The description / tags / autostart editor.
class EditForm {
  constructor(name, { getCurrent, onSaved, onLatest }) {
    this.name = name;
    this.getCurrent = getCurrent;
    this.onSaved = onSaved;
    this.onLatest = onLatest;
    this.base = null;      // editable values the user started from
    this.baseEtag = null;  // and the ETag they came with
    this.tags = [];
    this.saving = false;

    this.desc = h('textarea', {
      class: 'input textarea', id: 'edit-description', testid: 'edit-description', rows: '4', maxlength: String(MAX_DESC),
      placeholder: 'What is this guest for? Who looks after it?',
      oninput: () => this.changed(),
    });
    this.descCount = h('span', { class: 'field-hint', id: 'edit-description-count' });
    this.tagInput = h('input', {
      class: 'tag-input', id: 'edit-tags', testid: 'edit-tags', type: 'text', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'Add a tag…', 'aria-describedby': 'edit-tags-hint',
      onkeydown: (e) => this.tagKey(e),
      onblur: () => this.commitTagInput(),
      oninput: () => this.validateTagInput(),
    });
    this.tagChips = h('span', { class: 'tag-chips', testid: 'edit-tag-chips' });
    this.tagHint = h('span', { class: 'field-hint', id: 'edit-tags-hint' }, 'Letters, digits and . _ : - ; Enter or comma adds a tag.');
    this.auto = h('input', { type: 'checkbox', id: 'edit-autostart', testid: 'edit-autostart', class: 'switch-input', onchange: () => this.changed() });
    this.autoHint = h('span', { class: 'field-hint' });
    this.save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'edit-save', disabled: true }, 'Save changes');
    this.revert = h('button', { type: 'button', class: 'btn', testid: 'edit-revert', disabled: true, onclick: () => this.reset() }, 'Revert');
    this.status = h('div', { class: 'form-status', testid: 'edit-status', 'aria-live': 'polite' });

    const tagBox = h('div', { class: 'input tag-box', onclick: (e) => { if (e.target === tagBox) this.tagInput.focus(); } }, this.tagChips, this.tagInput);
    this.formEl = h('form', { class: 'form', testid: 'vm-edit-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      h('div', { class: 'field' },
        h('div', { class: 'field-top' }, h('label', { for: 'edit-description' }, 'Description'), this.descCount),
        this.desc),
      h('div', { class: 'field' }, h('label', { for: 'edit-tags' }, 'Tags'), tagBox, this.tagHint),
      h('div', { class: 'field field-inline' },
        h('label', { class: 'switch', for: 'edit-autostart' }, this.auto, h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', {}, 'Start with the host (autostart)')),
        this.autoHint),
      this.status,
      h('div', { class: 'form-actions' }, this.revert, this.save));
    this.el = h('section', { class: 'card card-form', testid: 'detail-edit', 'aria-label': 'Edit details' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, icon('edit'), 'Details')),
      h('div', { class: 'card-body' }, this.formEl));
  }

  values() {
    return { description: this.desc.value, tags: [...this.tags], autostart: this.auto.checked };
  }

  dirty() {
    return !!this.base && (!sameEditable(this.values(), this.base) || this.tagInput.value.trim() !== '');
  }

  // New data from the daemon. Untouched forms follow it; a form being edited
  // keeps the user's text and the ETag the edit started from.
  update(vm, etag, { force }) {
    this.auto.disabled = vm.persistent === false;
    this.autoHint.textContent = vm.persistent === false ? 'Transient guests cannot autostart.' : '';
    if (!force && this.dirty()) return;
    this.fill(editable(vm), etag);
  }

  fill(values, etag) {
    this.base = values;
    this.baseEtag = etag;
    this.desc.value = values.description;
    this.tags = [...values.tags];
    this.tagInput.value = '';
    this.auto.checked = values.autostart;
    this.renderTags();
    this.changed();
  }

  reset() {
    const { vm, etag } = this.getCurrent();
    clear(this.status);
    if (vm) this.fill(editable(vm), etag);
  }

  changed() {
    this.descCount.textContent = `${this.desc.value.length} / ${MAX_DESC}`;
    const dirty = this.dirty();
    this.save.disabled = !dirty || this.saving;
    this.revert.disabled = !dirty || this.saving;
    this.el.classList.toggle('is-dirty', dirty);
  }

  renderTags() {
    clear(this.tagChips).append(...this.tags.map((t, i) => h('span', { class: 'tag tag-edit', testid: 'edit-tag' }, t,
      h('button', {
        type: 'button', class: 'tag-remove', 'aria-label': `Remove tag ${t}`, title: `Remove ${t}`,
        onclick: () => { this.tags.splice(i, 1); this.renderTags(); this.changed(); this.tagInput.focus(); },
      }, icon('close')))));
  }

  tagKey(e) {
    if (e.key === 'Enter' || e.key === ',' || (e.key === ' ' && this.tagInput.value.trim())) {
      if (e.key !== 'Enter' || this.tagInput.value.trim()) {
        e.preventDefault();
        this.commitTagInput();
      }
    } else if (e.key === 'Backspace' && this.tagInput.value === '' && this.tags.length) {
      this.tags.pop();
      this.renderTags();
      this.changed();
    }
  }

  validateTagInput() {
    const bad = this.tagInput.value.split(/[\s,]+/).filter(Boolean).find((t) => !TAG_RE.test(t));
    this.tagHint.classList.toggle('field-error', !!bad);
    this.tagHint.textContent = bad
      ? `“${bad.slice(0, 70)}” is not a valid tag: use 1–64 letters, digits or . _ : -`
      : 'Letters, digits and . _ : - ; Enter or comma adds a tag.';
    this.changed();
    return !bad;
  }

  // Moves what is typed in the tag box into chips. False if something is invalid.
  commitTagInput() {
    if (!this.validateTagInput()) return false;
    const parts = this.tagInput.value.split(/[\s,]+/).filter(Boolean);
    for (const t of parts) {
      if (this.tags.includes(t)) continue;
      if (this.tags.length >= MAX_TAGS) {
        this.tagHint.classList.add('field-error');
        this.tagHint.textContent = `At most ${MAX_TAGS} tags.`;
        return false;
      }
      this.tags.push(t);
    }
    this.tagInput.value = '';
    this.renderTags();
    this.changed();
    return true;
  }

  async submit() {
    if (!this.commitTagInput() || this.saving) return;
    const v = this.values();
    const changes = {};
    if (v.description !== this.base.description) changes.description = v.description;
    if (!sameEditable({ ...this.base, tags: v.tags }, this.base)) changes.tags = v.tags;
    if (v.autostart !== this.base.autostart) changes.autostart = v.autostart;
    if (Object.keys(changes).length === 0) return;
    await this.send(changes, this.baseEtag, true);
  }

  async send(changes, etag, mayMerge) {
    this.saving = true;
    this.changed();
    clear(this.status);
    this.status.append(h('span', { class: 'muted' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' Saving…'));
    try {
      const { data, etag: newEtag } = await api.patchVm(this.name, changes, etag);
      this.saving = false;
      clear(this.status);
      this.onSaved(data, newEtag);
      toast('Details saved');
    } catch (e) {
      this.saving = false;
      clear(this.status);
      if (e.status === 412) await this.conflict(changes, mayMerge);
      else {
        this.status.append(h('p', { class: 'field-error', testid: 'edit-error' }, e.message));
        showError(e, `Could not save “${this.name}”`);
      }
      this.changed();
    }
  }

  // 412: the guest changed since the form was filled. When the fields being
  // edited are untouched on the daemon (only e.g. its state moved), nothing of
  // anyone else's would be lost, so send again against the new ETag; else say so.
  async conflict(changes, mayMerge) {
    let latest;
    try {
      latest = await api.getVm(this.name);
    } catch (e) {
      showError(e, `Could not save “${this.name}”`);
      return;
    }
    this.onLatest(latest.data, latest.etag);
    const theirs = editable(latest.data);
    if (mayMerge && sameEditable(theirs, this.base)) {
      this.base = theirs;
      this.baseEtag = latest.etag;
      await this.send(changes, latest.etag, false);
      return;
    }
    const what = [];
    if (theirs.description !== this.base.description) what.push('description');
    if (!sameEditable({ ...this.base, tags: theirs.tags }, this.base)) what.push('tags');
    if (theirs.autostart !== this.base.autostart) what.push('autostart');
    const msg = `“${this.name}” was changed by someone else while you were editing${what.length ? ` (${what.join(', ')})` : ''}. Your changes were not saved.`;
    this.status.append(h('div', { class: 'conflict', role: 'alert', testid: 'conflict-message' },
      icon('alert', 'icon conflict-icon'),
      h('div', {},
        h('strong', {}, 'Edit conflict (412 precondition failed)'),
        h('p', {}, msg),
        theirs.description !== this.base.description
          ? h('p', { class: 'conflict-theirs' }, 'Their description: ', h('q', {}, theirs.description || '(empty)')) : null,
        h('div', { class: 'conflict-actions' },
          h('button', { type: 'button', class: 'btn btn-sm', testid: 'conflict-reload', onclick: () => { clear(this.status); this.fill(theirs, latest.etag); } }, 'Discard mine, load theirs'),
          h('button', {
            type: 'button', class: 'btn btn-sm btn-danger', testid: 'conflict-overwrite',
            onclick: () => { this.base = theirs; this.baseEtag = latest.etag; this.submit(); },
          }, 'Overwrite with mine')))));
  }
}
