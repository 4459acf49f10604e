// #/new: the create-VM wizard for operators and admins. Steps: OS (from the
// catalogue, or a template) -> resources (prefilled from the OS's
// recommendation) -> disk -> network -> summary -> Create. vireod makes the
// volumes and the VM as one unit; its 400 names the field, and the wizard
// goes back to the step that holds it.

import { api } from './api.js';
import { h, icon, clear } from './dom.js';
import { field, FormError } from './forms.js';
import { navigate, vmHref } from './router.js';
import { canOperate } from './session.js';
import { toast } from './ui.js';
import { followTask } from './live.js';
import { pageHead, progressBar } from './widgets.js';
import { NAMES } from './names.js';
import { osPart, resourcesPart, diskPart, networkPart, loadStorageAndNetworks, describeSpec } from './spec-fields.js';

const STEPS = ['Operating system', 'Resources', 'Disk', 'Network', 'Summary'];
// Which step holds the field a 400 names ("disks[0].pool: ...").
const FIELD_STEP = [[/^(field ')?os\b/, 0], [/^field 'template'/, 0], [/vcpus|memory|cpu_mode/, 1],
  [/^disks|^field 'disks/, 2], [/^nics|^field 'nics/, 3]];

export function mountCreateVm(root, query) {
  let disposed = false;
  let following = null;   // the create task being followed, if any
  let step = 0;
  const view = h('section', { class: 'view view-create', testid: 'view-create' },
    pageHead('plus', 'New VM', 'Pick an operating system, size the guest, give it a disk and a network. Nothing is made until you press Create.'));
  root.append(view);
  if (!canOperate()) {
    view.append(h('div', { class: 'card empty', testid: 'create-forbidden' }, icon('lock', 'icon empty-icon'),
      h('h2', {}, 'Operators and admins only'), h('p', {}, 'Your role can see guests but not create them.')));
    return () => {};
  }
  const body = h('div', { class: 'card' }, h('div', { class: 'skeleton' }, h('span'), h('span')));
  view.append(body);

  loadStorageAndNetworks().then(async (inventory) => {
    if (disposed) return;
    let templates = [];
    try { templates = (await api.templates()).data.templates || []; } catch { /* the wizard works without */ }
    if (!disposed) build(inventory, templates);
  }).catch((e) => {
    if (disposed) return;
    clear(body).append(h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'),
      h('h2', {}, 'Could not load the pools and networks'), h('p', {}, e.message)));
  });

  function build(inventory, templates) {
    const res = resourcesPart();
    const disk = diskPart(inventory);
    const net = networkPart(inventory);
    const os = osPart({ onPick: (o) => { res.recommend(o); disk.recommend(o); } });
    const template = h('select', { class: 'input select', testid: 'create-template' },
      h('option', { value: '' }, 'No template'), templates.map((t) => h('option', { value: t.name }, t.name)));
    template.addEventListener('change', () => applyTemplate(template.value));
    const name = h('input', { class: 'input', type: 'text', testid: 'create-name', autocomplete: 'off', spellcheck: 'false', maxlength: '64', required: true, placeholder: 'e.g. web1' });
    const start = h('input', { type: 'checkbox', class: 'switch-input', id: 'create-start', testid: 'create-start', checked: true });
    const summary = h('dl', { class: 'summary', testid: 'create-summary' });
    const panels = [
      h('div', { class: 'wizard-panel' }, templates.length ? field({ label: 'Start from a template', control: template, hint: 'Fills every step; change anything afterwards.' }) : null, os.box),
      h('div', { class: 'wizard-panel' }, res.box),
      h('div', { class: 'wizard-panel' }, disk.box),
      h('div', { class: 'wizard-panel' }, net.box),
      h('div', { class: 'wizard-panel' }, field({ label: 'Name', control: name, hint: 'Letters, digits, “_”, “.”, “+” and “-”.' }), summary,
        h('div', { class: 'field' }, h('label', { class: 'switch', for: 'create-start' }, start,
          h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', {}, 'Start the VM once it is made')))),
    ];
    const steps = h('ol', { class: 'wizard-steps', testid: 'wizard-steps' }, STEPS.map((label, i) => h('li', { dataset: { step: String(i) } },
      h('span', { class: 'wizard-step-n', 'aria-hidden': 'true' }, String(i + 1)), h('span', {}, label))));
    const error = h('div', { class: 'form-alert', role: 'alert', testid: 'create-error', hidden: true });
    const back = h('button', { type: 'button', class: 'btn', testid: 'wizard-back', onclick: () => go(step - 1) }, 'Back');
    const next = h('button', { type: 'button', class: 'btn btn-primary', testid: 'wizard-next', onclick: () => forward() }, 'Next');
    const create = h('button', { type: 'button', class: 'btn btn-primary', testid: 'wizard-create', onclick: () => submit() }, icon('plus'), 'Create');
    const heading = h('h2', { class: 'card-title', testid: 'wizard-title', tabindex: '-1' });
    clear(body).append(steps, heading, ...panels, error, h('div', { class: 'wizard-actions' }, back, next, create));

    function spec() {
      return { ...os.value(), ...res.value(), ...disk.value(), ...net.value() };
    }

    function showError(message) {
      error.replaceChildren(icon('alert'), h('span', {}, message));
      error.hidden = false;
    }

    function go(i, { focus = true } = {}) {
      step = Math.max(0, Math.min(STEPS.length - 1, i));
      panels.forEach((p, k) => { p.hidden = k !== step; });
      for (const li of steps.children) {
        const k = Number(li.dataset.step);
        li.className = k === step ? 'is-current' : k < step ? 'is-done' : '';
        li.setAttribute('aria-current', k === step ? 'step' : 'false');
      }
      heading.textContent = `Step ${step + 1} of ${STEPS.length}: ${STEPS[step]}`;
      back.disabled = step === 0;
      next.hidden = step === STEPS.length - 1;
      create.hidden = step !== STEPS.length - 1;
      if (step === STEPS.length - 1) renderSummary();
      if (focus) heading.focus();
    }

    // Next checks the step being left, so mistakes show where they are made.
    function forward() {
      error.hidden = true;
      try {
        [() => os.value(), () => res.value(), () => disk.value(), () => net.value()][step]();
      } catch (e) {
        showError(e.message);
        return;
      }
      go(step + 1);
    }

    function renderSummary() {
      let s;
      try { s = spec(); } catch (e) { showError(e.message); return; }
      const row = (k, v, id) => [h('dt', {}, k), h('dd', { testid: id }, v)];
      const chosen = os.chosen();
      clear(summary).append(...[
        row('Operating system', chosen ? chosen.name || chosen.id : 'Generic', 'summary-os'),
        row('Resources', `${s.vcpus} vCPU, ${s.memory} MiB`, 'summary-resources'),
        row('Disk', s.disks.length ? describeSpec({ disks: s.disks }) : 'None', 'summary-disk'),
        row('Network', s.nics.length ? s.nics[0].network : 'None', 'summary-network')].flat());
    }

    async function applyTemplate(tname) {
      const t = templates.find((x) => x.name === tname);
      if (!t) return;
      await os.set(t.spec);
      res.set(t.spec);
      const chosen = os.chosen();
      res.recommend(chosen, { fill: false });
      disk.set(t.spec);
      net.set(t.spec);
    }

    async function submit() {
      error.hidden = true;
      const n = name.value.trim();
      if (!NAMES.vm.re.test(n)) {
        showError(NAMES.vm.message);
        name.focus();
        return;
      }
      let s;
      try { s = spec(); } catch (e) { showError(e.message); return; }
      const req = { name: n, ...s, start: start.checked };
      create.disabled = true;
      const spin = h('span', { class: 'spinner', 'aria-hidden': 'true' });
      create.prepend(spin);
      try {
        const { status, data } = await api.createVm(req);
        // A create that copies a disk runs as a task (202): follow it here.
        const vm = status === 202 ? await followCreate(data) : data;
        if (disposed || !vm) return;
        toast(`${vm.name} was created${vm.state === 'running' ? ' and started' : ''}`);
        navigate(vmHref(vm.name));
      } catch (e) {
        if (disposed) return;
        const where = FIELD_STEP.find(([re]) => re.test(e.message || ''));
        if (where && e.status === 400) go(where[1], { focus: false });
        showError(e instanceof FormError ? e.message : `${e.title}: ${e.message}`);
      } finally {
        create.disabled = false;
        spin.remove();
      }
    }

    // Shows the task's progress under the summary; resolves with the new VM,
    // or throws the task's error (everything was rolled back by vireod).
    async function followCreate(task) {
      const bar = progressBar({ testid: 'create-progress', label: 'Creating the VM' });
      const text = h('span', { class: 'muted', testid: 'create-progress-text' }, 'Queued');
      const box = h('div', { class: 'upload-progress', testid: 'create-task' }, bar.el, text);
      create.parentNode.before(box);
      following = followTask(task.id, (t) => {
        bar.set(t.progress);
        text.textContent = `${t.progress}% · ${t.message || t.state}`;
      });
      try {
        const end = await following.done;
        if (end.state !== 'succeeded') {
          const why = end.error ? end.error.message : end.state;
          throw new FormError(`The VM was not created: ${why}`);
        }
        return (await api.getVm(task.target)).data;
      } finally {
        following = null;
        box.remove();
      }
    }

    go(0, { focus: false });
    if (query.template) {
      template.value = query.template;
      applyTemplate(query.template);
    }
  }

  return () => {
    disposed = true;
    if (following) following.stop();
  };
}
