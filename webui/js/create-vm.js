// #/new: the create-VM wizard for operators and admins. Steps: install from
// (an installer ISO, network boot, an imported disk image, a cloud image
// with cloud-init, or nothing; a template may fill every step) -> OS (preselected from what libosinfo finds
// on the ISO) -> resources (the OS's recommendation, within what the host
// has) -> disk -> network (an active one to start with) -> summary -> Create,
// or Create and open the console. It offers only what the caller may use
// (pools granted for new disks, ISO images of pools granted for media,
// granted networks and bridges; admins everything); a host with no pool
// at all gets the first-run offer of the default pool. vireod makes the
// volumes and the VM as one unit; an error it names a field of is shown on
// that field, on its step. A user with a quota sees what is left of it
// beside vCPUs, memory and disk, is stopped at the step that asks for more,
// and vireod's quota refusal lands on the field of the limit it names.
// An appliance (OVA) or a disk image uploaded from this computer is imported
// from the first step instead (import-appliance.js).

import { api } from './api.js';
import { h, icon, clear } from './dom.js';
import { consoleHref } from './console-links.js';
import { defaultPoolOffer } from './default-pool.js';
import { field, showFieldError, clearFieldError, switchInput, textInput, FormError } from './forms.js';
import { getHost, onHost } from './host.js';
import { appliancePart } from './import-appliance.js';
import { cloudNote, importedNote, installPart, INSTALL_MODES } from './install-from.js';
import { followTask } from './live.js';
import { NAMES } from './names.js';
import { loadMyQuota, quotaAmount, quotaKindOf, quotaLeft } from './quota.js';
import { navigate, vmHref } from './router.js';
import { canOperate } from './session.js';
import { loadStorageAndNetworks, describeSpec, specForm } from './spec-fields.js';
import { toast } from './ui.js';
import { emptyState, pageHead, progressBar, skeleton, spinner } from './widgets.js';

const STEPS = ['Install from', 'Operating system', 'Resources', 'Disk', 'Network', 'Summary'];
const STEP = { install: 0, os: 1, resources: 2, disk: 3, network: 4, summary: 5 };

// The wizard's state, passed to every function below: the step shown, the
// spec form and the install part, the templates, the create task being
// followed, the host's limits, and the nodes.
export function mountCreateVm(root, query) {
  const view = h('section', { class: 'view view-create', testid: 'view-create' },
    pageHead('plus', 'New VM', 'Choose what to install from, size the guest, give it a disk and a network. Nothing is made until you press Create.'));
  root.append(view);
  if (!canOperate()) {
    view.append(emptyState({
      ic: 'lock', title: 'Operators and admins only', text: 'Your role can see guests but not create them.', cls: 'card', testid: 'create-forbidden',
    }));
    return () => {};
  }
  const w = {
    query, disposed: false, step: 0, following: null, templates: [], spec: null, install: null, quota: null, el: { body: h('div', { class: 'card' }, skeleton(2)) },
  };
  view.append(w.el.body);
  loadChoices(w);
  const offHost = onHost((host) => { if (w.spec) w.spec.res.setLimits(host); });
  return () => {
    w.disposed = true;
    offHost();
    if (w.following) w.following.stop();
    if (w.appliance) w.appliance.stop();
  };
}

// The pools, volumes and networks the steps offer, and the templates; then
// the wizard.
async function loadChoices(w) {
  let inventory;
  try {
    inventory = await loadStorageAndNetworks();
  } catch (e) {
    if (!w.disposed) clear(w.el.body).append(emptyState({ ic: 'alert', title: 'Could not load the pools and networks', text: e.message }));
    return;
  }
  if (w.disposed) return;
  try { w.templates = (await api.templates()).data.templates || []; } catch { /* the wizard works without */ }
  if (w.disposed) return;
  build(w, inventory);
  loadQuota(w);
  go(w, 0, { focus: false });
  w.install.start();
  if (w.query.template) {
    w.el.template.value = w.query.template;
    applyTemplate(w, w.query.template);
  }
}

function build(w, inventory) {
  const { el } = w;
  w.inventory = inventory;
  w.spec = specForm(inventory, { network: { preferActive: true, offerStart: true } });
  if (getHost()) w.spec.res.setLimits(getHost());
  w.install = installPart(inventory, {
    onOs: (os) => preselectOs(w, os),
    onChange: () => syncInstall(w),
  });
  w.appliance = appliancePart(inventory);
  el.template = h('select', { class: 'input select', testid: 'create-template' },
    h('option', { value: '' }, 'No template'), w.templates.map((t) => h('option', { value: t.name }, t.name)));
  el.template.addEventListener('change', () => applyTemplate(w, el.template.value));
  el.name = textInput({ testid: 'create-name', maxlength: '64', required: true, placeholder: 'e.g. web1' });
  el.name.addEventListener('change', () => checkName(w));
  el.start = switchInput({ testid: 'create-start', id: 'create-start', label: 'Start the VM once it is made', checked: true });
  el.summary = h('dl', { class: 'summary', testid: 'create-summary' });
  el.imported = h('div', { testid: 'disk-imported-slot' });
  el.pxeNote = h('p', { class: 'form-note', testid: 'network-pxe-note', hidden: true }, icon('info'),
    'The guest boots from this network first: a PXE server on it must answer.');
  el.panels = panels(w);
  el.steps = h('ol', { class: 'wizard-steps', testid: 'wizard-steps' }, STEPS.map((label, i) => h('li', { dataset: { step: String(i) } },
    h('span', { class: 'wizard-step-n', 'aria-hidden': 'true' }, String(i + 1)), h('span', {}, label))));
  el.error = h('div', { class: 'form-alert', role: 'alert', testid: 'create-error', hidden: true });
  el.back = h('button', { type: 'button', class: 'btn', testid: 'wizard-back', onclick: () => go(w, w.step - 1) }, 'Back');
  el.next = h('button', { type: 'button', class: 'btn btn-primary', testid: 'wizard-next', onclick: () => forward(w) }, 'Next');
  el.create = h('button', { type: 'button', class: 'btn', testid: 'wizard-create', onclick: () => submit(w) }, icon('plus'), 'Create');
  el.createConsole = h('button', {
    type: 'button', class: 'btn btn-primary', testid: 'wizard-create-console', onclick: () => submit(w, { console: true }),
    title: 'Creates the VM, starts it and opens its screen in a window of its own',
  }, icon('screen'), 'Create and open the console');
  el.heading = h('h2', { class: 'card-title', testid: 'wizard-title', tabindex: '-1' });
  // A host with no pool the caller can see: the first-run offer.
  const firstRun = inventory.anyPool ? null : defaultPoolOffer({
    admin: inventory.admin,
    testid: 'wizard-default-pool',
    onCreated: (pool) => {
      toast(`Storage pool ${pool.name} created at ${pool.path}`);
      if (!w.disposed) { clear(w.el.body).append(skeleton(2)); loadChoices(w); }
    },
  });
  clear(el.body).append(...[firstRun, el.steps, el.heading, ...el.panels, el.error,
    h('div', { class: 'wizard-actions' }, el.back, el.next, el.create, el.createConsole, w.appliance.button)].filter(Boolean));
  syncInstall(w);
}

// One panel per step.
function panels(w) {
  const { spec, el } = w;
  return [
    h('div', { class: 'wizard-panel' }, w.templates.length ? field({ label: 'Start from a template', control: el.template, hint: 'Fills every step; change anything afterwards.' }) : null, w.install.box,
      w.appliance.box),
    h('div', { class: 'wizard-panel' }, spec.os.box),
    h('div', { class: 'wizard-panel' }, spec.res.box),
    h('div', { class: 'wizard-panel' }, el.imported, spec.disk.box),
    h('div', { class: 'wizard-panel' }, el.pxeNote, spec.net.box),
    h('div', { class: 'wizard-panel' }, field({ label: 'Name', control: el.name, hint: 'Letters, digits, “_”, “.”, “+” and “-”.' }), el.summary,
      h('div', { class: 'field' }, el.start.el)),
  ];
}

// What is left of the caller's quota, beside the fields it limits (nothing
// when no limit applies). The wizard works without it: vireod checks.
async function loadQuota(w) {
  try { w.quota = await loadMyQuota(); } catch { return; }
  if (w.disposed) return;
  for (const old of w.el.body.querySelectorAll('.quota-left')) old.remove();
  const left = quotaLeft(w.quota);
  const note = (testid, kinds, tail) => {
    const parts = kinds.filter((k) => left[k] !== null).map((k) => quotaLeftText(k, left[k]));
    return parts.length ? h('p', { class: 'field-hint quota-left', testid }, icon('gauge'), `Your quota leaves ${parts.join(' and ')}${tail}.`) : null;
  };
  const add = (step, el) => { if (el) w.el.panels[step].append(el); };
  add(STEP.resources, note('quota-left-resources', ['vcpus', 'memory'], ''));
  add(STEP.disk, note('quota-left-disk', ['disk'], ' for new disks'));
  add(STEP.summary, note('quota-left-vms', ['vms'], ': this one would be one more'));
}

// "2 vCPUs", "512 MiB of memory", "1 VM".
function quotaLeftText(kind, n) {
  if (kind === 'vcpus') return `${n} vCPU${n === 1 ? '' : 's'}`;
  if (kind === 'vms') return `${n} VM${n === 1 ? '' : 's'}`;
  return `${quotaAmount(kind, n)} of ${kind === 'memory' ? 'memory' : 'disk'}`;
}

// FormError on `control` when `asked` passes what the quota leaves of `kind`.
function withinQuota(w, kind, asked, control) {
  const left = quotaLeft(w.quota)[kind];
  if (left === null || asked <= left) return;
  throw new FormError(`Your quota leaves ${quotaLeftText(kind, left)}: ask for no more, or ask an admin to raise your quota.`, control);
}

// The install choice decides what the disk and network steps show.
function syncInstall(w) {
  const mode = w.install.mode();
  const importing = mode === 'import' || mode === 'cloud';
  w.spec.disk.box.hidden = importing;
  clear(w.el.imported);
  if (importing && w.install.image()) w.el.imported.append((mode === 'cloud' ? cloudNote : importedNote)(w.install.image()));
  w.el.pxeNote.hidden = mode !== 'pxe';
  // An appliance brings its own settings: its import replaces the steps.
  const appliance = mode === 'appliance';
  w.appliance.box.hidden = !appliance;
  w.appliance.button.hidden = !appliance;
  w.el.steps.hidden = appliance;
  go(w, w.step, { focus: false });
}

// The OS libosinfo found on the chosen ISO becomes the OS step's choice,
// with its recommended resources and disk size.
async function preselectOs(w, os) {
  if (!os || w.disposed) return;
  // An answer that comes late never overrides an OS the person chose.
  if (w.step > STEP.install && w.spec.os.chosen()) return;
  await w.spec.os.set({ os: os.id });
  const chosen = w.spec.os.chosen();
  w.spec.res.recommend(chosen);
  w.spec.disk.recommend(chosen);
}

function showError(w, message) {
  w.el.error.replaceChildren(icon('alert'), h('span', {}, message));
  w.el.error.hidden = false;
}

// Shows step i (clamped), marks the steps before it done.
function go(w, i, { focus = true } = {}) {
  const { el } = w;
  const last = STEPS.length - 1;
  w.step = Math.max(0, Math.min(last, i));
  el.panels.forEach((p, k) => { p.hidden = k !== w.step; });
  for (const li of el.steps.children) {
    const k = Number(li.dataset.step);
    li.className = k === w.step ? 'is-current' : k < w.step ? 'is-done' : '';
    li.setAttribute('aria-current', k === w.step ? 'step' : 'false');
  }
  el.heading.textContent = w.install.mode() === 'appliance' ? 'Import an appliance or a disk image'
    : `Step ${w.step + 1} of ${STEPS.length}: ${STEPS[w.step]}`;
  el.back.disabled = w.step === 0;
  el.next.hidden = w.step === last || w.install.mode() === 'appliance';
  el.create.hidden = w.step !== last;
  el.createConsole.hidden = w.step !== last;
  if (w.step === last) renderSummary(w);
  if (focus) el.heading.focus();
}

// A FormError about a control goes under that control; others in the alert.
function fail(w, e) {
  if (e instanceof FormError && e.control) {
    showFieldError(e.control, e.message);
    e.control.focus();
  } else {
    showError(w, e.message);
  }
}

// The checks of step i, which throw FormError.
function checkStep(w, i) {
  const { os, res, disk, net } = w.spec;
  if (i === STEP.install) w.install.value();
  else if (i === STEP.os) os.value();
  else if (i === STEP.resources) {
    const { vcpus, memory } = res.value();
    withinQuota(w, 'vcpus', vcpus, res.controls.vcpus);
    withinQuota(w, 'memory', memory, res.controls.memory);
  } else if (i === STEP.disk && !['import', 'cloud'].includes(w.install.mode())) {
    const [d] = disk.value().disks;
    if (d && d.size) withinQuota(w, 'disk', d.size, disk.controls.size);
  }
  else if (i === STEP.network) {
    const nics = net.value().nics;
    if (w.install.mode() === 'pxe' && !nics.length) throw new FormError('Network boot needs a network: choose one.', net.controls.net);
  }
}

// Next checks the step being left, so mistakes show where they are made.
function forward(w) {
  w.el.error.hidden = true;
  try {
    checkStep(w, w.step);
  } catch (e) {
    fail(w, e);
    return;
  }
  go(w, w.step + 1);
}

// The spec the form describes: the install choice decides the CD-ROM, the
// boot order or the disk.
function specValue(w, name = '') {
  const { os, res, disk, net } = w.spec;
  const install = w.install.value(name);
  const disks = ['import', 'cloud'].includes(w.install.mode()) ? {} : disk.value();
  return { ...os.value(), ...res.value(), ...disks, ...install, ...net.value() };
}

function renderSummary(w) {
  let s;
  try { s = specValue(w); } catch (e) { showError(w, e.message); return; }
  const row = (k, v, id) => [h('dt', {}, k), h('dd', { testid: id }, v)];
  const chosen = w.spec.os.chosen();
  const mode = w.install.mode();
  const from = mode === 'iso' ? `ISO image ${s.cdrom} (boots first, then the disk)`
    : mode === 'import' ? `Imported disk image ${s.disks[0].volume}`
      : mode === 'cloud' ? w.install.cloud.summary(s) : INSTALL_MODES[mode].label;
  clear(w.el.summary).append(...[
    row('Install from', from, 'summary-install'),
    row('Operating system', chosen ? chosen.name || chosen.id : 'Generic', 'summary-os'),
    row('Resources', `${s.vcpus} vCPU, ${s.memory} MiB`, 'summary-resources'),
    row('Disk', s.disks.length ? describeSpec({ disks: s.disks }) : 'None', 'summary-disk'),
    row('Network', s.nics.length ? s.nics[0].network || `host bridge ${s.nics[0].bridge}` : 'None', 'summary-network')].flat());
}

// Fills every step from the template named `tname`.
async function applyTemplate(w, tname) {
  const t = w.templates.find((x) => x.name === tname);
  if (!t) return;
  w.install.set(t.spec);
  await w.spec.set(t.spec);
  w.spec.res.recommend(w.spec.os.chosen(), { fill: false });
}

// Where an error vireod names a field of belongs: [pattern, step, control].
// A quota refusal names its limit: vCPUs and memory go on their fields,
// disk on the new disk's size (else where the disk is chosen), VMs in the
// alert.
function fieldOf(w, message) {
  const { os, res, disk, net } = w.spec;
  const importing = ['import', 'cloud'].includes(w.install.mode());
  const quota = quotaKindOf(message);
  if (quota === 'disk' && !importing && disk.mainControl() === disk.controls.pool) return { step: STEP.disk, control: disk.controls.size };
  const text = quota ? { vcpus: 'vcpus', memory: 'memory', disk: 'disks', vms: '' }[quota] : message;
  const cloudControl = w.install.cloud.controlFor(message);
  if (cloudControl && w.install.mode() === 'cloud') return { step: STEP.install, control: cloudControl };
  const table = [
    [/^(field ')?os\b/, STEP.os, os.controls.search],
    [/^field 'template'/, STEP.install, w.el.template],
    [/^(field ')?cdrom/, STEP.install, w.install.controls.iso],
    [/^(field ')?boot/, STEP.install, w.install.controls.mode],
    [/^(field ')?vcpus/, STEP.resources, res.controls.vcpus],
    [/^(field ')?(memory|cpu_mode)/, STEP.resources, res.controls.memory],
    [/^(field ')?disks\[0\]\.pool/, STEP.disk, disk.controls.pool],
    [/^(field ')?disks/, importing ? STEP.install : STEP.disk, importing ? (w.install.mode() === 'cloud' ? w.install.cloud.controls.image : w.install.controls.image) : disk.mainControl()],
    [/^(field ')?nics/, STEP.network, net.controls.net],
    [/^field 'name'|^a VM named/, STEP.summary, w.el.name],
  ];
  const hit = table.find(([re]) => re.test(text || ''));
  return hit ? { step: hit[1], control: hit[2] } : null;
}

// A name another VM has: said on the name field before anything is sent.
// (A VM the caller may not see is a 404 here; vireod's 409 says it then.)
async function checkName(w) {
  const n = w.el.name.value.trim();
  clearFieldError(w.el.name);
  if (!NAMES.vm.re.test(n)) return true;
  try {
    await api.getVm(n);
  } catch (e) {
    return true;
  }
  if (w.disposed) return false;
  showFieldError(w.el.name, `A VM named “${n}” already exists: choose another name.`);
  return false;
}

// Create, or create and open the console: the console window is opened in
// the click itself (a window opened after an await is a popup blockers'
// prey), shows that the VM is being made, and is sent to the console once
// it is, or closed when it was not.
async function submit(w, { console: withConsole = false } = {}) {
  const { el } = w;
  el.error.hidden = true;
  const n = el.name.value.trim();
  if (!NAMES.vm.re.test(n)) {
    showFieldError(el.name, NAMES.vm.message);
    el.name.focus();
    return;
  }
  let s;
  try {
    for (let i = 0; i < STEP.summary; i++) {
      try { checkStep(w, i); } catch (e) { go(w, i, { focus: false }); throw e; }
    }
    try { s = specValue(w, n); } catch (e) { go(w, STEP.install, { focus: false }); throw e; }
  } catch (e) {
    fail(w, e);
    return;
  }
  const win = withConsole ? openConsoleWindow(n) : null;
  const buttons = [el.create, el.createConsole];
  for (const b of buttons) b.disabled = true;
  const spin = spinner();
  (withConsole ? el.createConsole : el.create).prepend(spin);
  let vm = null;
  try {
    if (!(await checkName(w))) {
      el.name.focus();
      return;
    }
    const start = withConsole || el.start.input.checked;
    const { status, data } = await api.createVm({ name: n, ...s, start });
    // A create that copies a disk runs as a task (202): follow it here.
    vm = status === 202 ? await followCreate(w, data) : data;
    if (w.disposed || !vm) return;
    toast(`${vm.name} was created${vm.state === 'running' ? ' and started' : ''}`);
    if (win) win.location.replace(new URL(consoleHref(vm.name, 'vnc'), location.href).href);
    navigate(vmHref(vm.name));
  } catch (e) {
    if (w.disposed) return;
    // An admin may have changed the quota since the wizard read it.
    if (e.code === 'quota_exceeded') loadQuota(w);
    const where = e.status ? fieldOf(w, e.message) : null;
    if (where) {
      go(w, where.step, { focus: false });
      showFieldError(where.control, e.message);
      where.control.focus();
    } else {
      showError(w, e instanceof FormError ? e.message : `${e.title}: ${e.message}`);
    }
  } finally {
    if (win && !vm) win.close();
    for (const b of buttons) b.disabled = false;
    spin.remove();
  }
}

// The console's window, named as the console links name it (a later click
// on a Console link brings the same window back), saying what it waits for.
function openConsoleWindow(name) {
  const win = window.open('', `vireo-console-${name}-vnc`);
  if (!win) return null;
  try {
    win.document.title = `${name} — Vireo`;
    win.document.body.textContent = `Creating ${name}… its console opens here once it runs.`;
    win.document.body.style.font = '15px system-ui, sans-serif';
    win.document.body.style.padding = '24px';
  } catch { /* a window of another page already had that name */ }
  return win;
}

// Shows the task's progress under the summary; resolves with the new VM,
// or throws the task's error (everything was rolled back by vireod).
async function followCreate(w, task) {
  const bar = progressBar({ testid: 'create-progress', label: 'Creating the VM' });
  const text = h('span', { class: 'muted', testid: 'create-progress-text' }, 'Queued');
  const box = h('div', { class: 'upload-progress', testid: 'create-task' }, bar.el, text);
  w.el.create.parentNode.before(box);
  w.following = followTask(task.id, (t) => {
    bar.set(t.progress);
    text.textContent = `${t.progress}% · ${t.message || t.state}`;
  });
  try {
    const end = await w.following.done;
    if (end.state !== 'succeeded') {
      const why = end.error ? end.error.message : end.state;
      throw new FormError(`The VM was not created: ${why}`);
    }
    return (await api.getVm(task.target)).data;
  } finally {
    w.following = null;
    box.remove();
  }
}
