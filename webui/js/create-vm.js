// #/new: the create-VM wizard for operators and admins. Steps: OS (from the
// catalogue, or a template) -> resources (prefilled from the OS's
// recommendation) -> disk and CD-ROM -> network -> summary -> Create. It
// offers only what the caller may use (pools granted for new disks, ISO
// images of pools granted for media, granted networks and bridges; admins
// everything). vireod makes the volumes and the VM as one unit; its 400
// names the field, and the wizard goes back to the step that holds it.

import { api } from './api.js';
import { h, icon, clear } from './dom.js';
import { field, switchInput, textInput, FormError } from './forms.js';
import { followTask } from './live.js';
import { NAMES } from './names.js';
import { navigate, vmHref } from './router.js';
import { canOperate } from './session.js';
import { loadStorageAndNetworks, describeSpec, specForm } from './spec-fields.js';
import { toast } from './ui.js';
import { emptyState, pageHead, progressBar, skeleton, spinner } from './widgets.js';

const STEPS = ['Operating system', 'Resources', 'Disk and CD-ROM', 'Network', 'Summary'];
// Which step holds the field a 400 names ("disks[0].pool: ...").
const FIELD_STEP = [[/^(field ')?os\b/, 0], [/^field 'template'/, 0], [/vcpus|memory|cpu_mode/, 1],
  [/^disks|^field 'disks|^(field ')?cdrom/, 2], [/^nics|^field 'nics/, 3]];

// The wizard's state, passed to every function below: the step shown, the
// spec form, the templates, the create task being followed, and the nodes.
export function mountCreateVm(root, query) {
  const view = h('section', { class: 'view view-create', testid: 'view-create' },
    pageHead('plus', 'New VM', 'Pick an operating system, size the guest, give it a disk and a network. Nothing is made until you press Create.'));
  root.append(view);
  if (!canOperate()) {
    view.append(emptyState({
      ic: 'lock', title: 'Operators and admins only', text: 'Your role can see guests but not create them.', cls: 'card', testid: 'create-forbidden',
    }));
    return () => {};
  }
  const w = { query, disposed: false, step: 0, following: null, templates: [], spec: null, el: { body: h('div', { class: 'card' }, skeleton(2)) } };
  view.append(w.el.body);
  loadChoices(w);
  return () => {
    w.disposed = true;
    if (w.following) w.following.stop();
  };
}

// The pools, volumes and networks the disk and network steps offer, and the
// templates; then the wizard.
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
  go(w, 0, { focus: false });
  if (w.query.template) {
    w.el.template.value = w.query.template;
    applyTemplate(w, w.query.template);
  }
}

function build(w, inventory) {
  const { el } = w;
  w.spec = specForm(inventory);
  el.template = h('select', { class: 'input select', testid: 'create-template' },
    h('option', { value: '' }, 'No template'), w.templates.map((t) => h('option', { value: t.name }, t.name)));
  el.template.addEventListener('change', () => applyTemplate(w, el.template.value));
  el.name = textInput({ testid: 'create-name', maxlength: '64', required: true, placeholder: 'e.g. web1' });
  el.start = switchInput({ testid: 'create-start', id: 'create-start', label: 'Start the VM once it is made', checked: true });
  el.summary = h('dl', { class: 'summary', testid: 'create-summary' });
  el.panels = panels(w);
  el.steps = h('ol', { class: 'wizard-steps', testid: 'wizard-steps' }, STEPS.map((label, i) => h('li', { dataset: { step: String(i) } },
    h('span', { class: 'wizard-step-n', 'aria-hidden': 'true' }, String(i + 1)), h('span', {}, label))));
  el.error = h('div', { class: 'form-alert', role: 'alert', testid: 'create-error', hidden: true });
  el.back = h('button', { type: 'button', class: 'btn', testid: 'wizard-back', onclick: () => go(w, w.step - 1) }, 'Back');
  el.next = h('button', { type: 'button', class: 'btn btn-primary', testid: 'wizard-next', onclick: () => forward(w) }, 'Next');
  el.create = h('button', { type: 'button', class: 'btn btn-primary', testid: 'wizard-create', onclick: () => submit(w) }, icon('plus'), 'Create');
  el.heading = h('h2', { class: 'card-title', testid: 'wizard-title', tabindex: '-1' });
  clear(el.body).append(el.steps, el.heading, ...el.panels, el.error, h('div', { class: 'wizard-actions' }, el.back, el.next, el.create));
}

// One panel per step.
function panels(w) {
  const { spec, el } = w;
  return [
    h('div', { class: 'wizard-panel' }, w.templates.length ? field({ label: 'Start from a template', control: el.template, hint: 'Fills every step; change anything afterwards.' }) : null, spec.os.box),
    h('div', { class: 'wizard-panel' }, spec.res.box),
    h('div', { class: 'wizard-panel' }, spec.disk.box, spec.cdrom.box),
    h('div', { class: 'wizard-panel' }, spec.net.box),
    h('div', { class: 'wizard-panel' }, field({ label: 'Name', control: el.name, hint: 'Letters, digits, “_”, “.”, “+” and “-”.' }), el.summary,
      h('div', { class: 'field' }, el.start.el)),
  ];
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
  el.heading.textContent = `Step ${w.step + 1} of ${STEPS.length}: ${STEPS[w.step]}`;
  el.back.disabled = w.step === 0;
  el.next.hidden = w.step === last;
  el.create.hidden = w.step !== last;
  if (w.step === last) renderSummary(w);
  if (focus) el.heading.focus();
}

// Next checks the step being left, so mistakes show where they are made.
function forward(w) {
  const { os, res, disk, cdrom, net } = w.spec;
  w.el.error.hidden = true;
  try {
    [() => os.value(), () => res.value(), () => { disk.value(); cdrom.value(); }, () => net.value()][w.step]();
  } catch (e) {
    showError(w, e.message);
    return;
  }
  go(w, w.step + 1);
}

function renderSummary(w) {
  let s;
  try { s = w.spec.value(); } catch (e) { showError(w, e.message); return; }
  const row = (k, v, id) => [h('dt', {}, k), h('dd', { testid: id }, v)];
  const chosen = w.spec.os.chosen();
  clear(w.el.summary).append(...[
    row('Operating system', chosen ? chosen.name || chosen.id : 'Generic', 'summary-os'),
    row('Resources', `${s.vcpus} vCPU, ${s.memory} MiB`, 'summary-resources'),
    row('Disk', s.disks.length ? describeSpec({ disks: s.disks }) : 'None', 'summary-disk'),
    row('CD-ROM', s.cdrom || 'None', 'summary-cdrom'),
    row('Network', s.nics.length ? s.nics[0].network || `host bridge ${s.nics[0].bridge}` : 'None', 'summary-network')].flat());
}

// Fills every step from the template named `tname`.
async function applyTemplate(w, tname) {
  const t = w.templates.find((x) => x.name === tname);
  if (!t) return;
  await w.spec.set(t.spec);
  w.spec.res.recommend(w.spec.os.chosen(), { fill: false });
}

async function submit(w) {
  const { el } = w;
  el.error.hidden = true;
  const n = el.name.value.trim();
  if (!NAMES.vm.re.test(n)) {
    showError(w, NAMES.vm.message);
    el.name.focus();
    return;
  }
  let s;
  try { s = w.spec.value(); } catch (e) { showError(w, e.message); return; }
  el.create.disabled = true;
  const spin = spinner();
  el.create.prepend(spin);
  try {
    const { status, data } = await api.createVm({ name: n, ...s, start: el.start.input.checked });
    // A create that copies a disk runs as a task (202): follow it here.
    const vm = status === 202 ? await followCreate(w, data) : data;
    if (w.disposed || !vm) return;
    toast(`${vm.name} was created${vm.state === 'running' ? ' and started' : ''}`);
    navigate(vmHref(vm.name));
  } catch (e) {
    if (w.disposed) return;
    const where = FIELD_STEP.find(([re]) => re.test(e.message || ''));
    if (where && e.status === 400) go(w, where[1], { focus: false });
    showError(w, e instanceof FormError ? e.message : `${e.title}: ${e.message}`);
  } finally {
    el.create.disabled = false;
    spin.remove();
  }
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
