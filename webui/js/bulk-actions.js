// Acting on many guests at once from the list: a bar that shows what is
// selected and offers Start, Shutdown, Power off and Delete; one dialog
// that lists the guests (and those left out, with why) before anything is
// sent; then each guest's result: the ones that failed are named with
// vireod's reason and stay selected.

import { h, icon } from './dom.js';
import { openDialog } from './forms.js';
import { sendAction, sendDelete } from './actions.js';
import { ACTIONS, canDo, stateInfo } from './states.js';
import { confirmDialog, toast } from './ui.js';
import { spinner } from './widgets.js';

const PARALLEL = 4;

// What each bulk action does to one guest, and which guests it applies to.
const BULK = {
  start: { ...pick('start'), why: 'already running' },
  shutdown: { ...pick('shutdown'), why: 'not running' },
  poweroff: {
    ...pick('poweroff'), why: 'not running', danger: true,
    warn: 'They lose power at once: unsaved data in them is lost. Prefer Shutdown when their OS is responsive.',
  },
  delete: {
    label: 'Delete', ic: 'trash', done: 'deleted', danger: true, eligible: () => true,
    warn: 'This removes them from libvirt and from Vireo; running ones are powered off first.',
    run: (vm, { volumes }) => sendDelete(vm, { volumes }),
  },
};

function pick(action) {
  const a = ACTIONS[action];
  return {
    label: a.label, ic: a.icon, done: a.done, eligible: (vm) => canDo(action, vm.state), run: (vm) => sendAction(vm, action),
  };
}

const plural = (n, word = 'guest') => `${n} ${word}${n === 1 ? '' : 's'}`;

// The bar. selected() gives the selected guests (summaries); after(failed
// names) runs once a bulk action is over. Returns {el, update(vms)}.
export function bulkBar({ selected, after, clearSelection }) {
  const count = h('span', { class: 'bulk-count', testid: 'bulk-count', 'aria-live': 'polite' });
  const busy = h('span', { class: 'bulk-busy', hidden: true }, spinner(), h('span', {}));
  const buttons = Object.entries(BULK).map(([key, b]) => h('button', {
    type: 'button', class: `btn btn-sm${b.danger ? ' btn-danger-outline' : ''}`, testid: `bulk-${key}`,
    onclick: () => run(key, selected(), { busy, after, buttons }),
  }, icon(b.ic), h('span', {}, b.label)));
  const el = h('div', { class: 'bulk-bar', testid: 'bulk-bar', role: 'region', 'aria-label': 'Selected guests', hidden: true },
    count, h('div', { class: 'bulk-buttons' }, buttons, busy),
    h('button', { type: 'button', class: 'btn btn-sm btn-ghost', testid: 'bulk-clear', onclick: () => clearSelection() }, 'Clear selection'));
  return {
    el,
    update(vms) {
      el.hidden = vms.length === 0;
      count.textContent = `${plural(vms.length)} selected`;
      buttons.forEach((btn, i) => {
        const b = Object.values(BULK)[i];
        btn.disabled = !busy.hidden || !vms.some(b.eligible);
      });
    },
  };
}

async function run(key, vms, { busy, after, buttons }) {
  const b = BULK[key];
  const go = vms.filter(b.eligible);
  const left = vms.filter((vm) => !b.eligible(vm));
  if (!go.length) return;
  const body = [
    h('ul', { class: 'bulk-list', testid: 'bulk-confirm-list' }, go.map((vm) => h('li', { dataset: { vm: vm.name } },
      h('span', { class: 'mono' }, vm.name), h('span', { class: 'muted' }, ` · ${stateInfo(vm.state).label}`)))),
  ];
  if (left.length) {
    body.push(h('p', { class: 'muted', testid: 'bulk-confirm-skipped' },
      `Left out (${b.why}): ${left.map((vm) => vm.name).join(', ')}.`));
  }
  if (b.warn) body.push(h('p', { class: 'dialog-warn' }, icon('alert'), ` ${b.warn}`));
  const { ok, checked } = await confirmDialog({
    title: `${b.label} ${plural(go.length)}?`,
    body,
    confirmLabel: `${b.label} ${plural(go.length)}`,
    danger: !!b.danger,
    checkbox: key === 'delete' ? 'Also delete their disk volumes (cannot be undone)' : null,
  });
  if (!ok) return;

  busy.hidden = false;
  for (const btn of buttons) btn.disabled = true;
  const label = busy.lastChild;
  let finished = 0;
  label.textContent = `${b.label}: 0 of ${go.length}`;
  const results = await pool(go, PARALLEL, async (vm) => {
    try {
      await b.run(vm, { volumes: checked });
      return { vm, ok: true };
    } catch (e) {
      return { vm, ok: false, error: e };
    } finally {
      finished += 1;
      label.textContent = `${b.label}: ${finished} of ${go.length}`;
    }
  });
  busy.hidden = true;
  const failed = results.filter((r) => !r.ok);
  after(failed.map((r) => r.vm.name));
  if (!failed.length) {
    toast(`${plural(go.length)} ${b.done}${key === 'delete' && checked ? ' with their volumes' : ''}`);
    return;
  }
  showResults(b, results, failed);
}

// Runs work(item) for every item, `n` at a time; resolves to the results in order.
async function pool(items, n, work) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

function showResults(b, results, failed) {
  const okCount = results.length - failed.length;
  const close = h('button', { type: 'submit', value: 'ok', class: 'btn btn-primary', testid: 'bulk-results-close' }, 'Close');
  openDialog({
    title: `${plural(failed.length)} not ${b.done}`,
    intro: okCount ? `${plural(okCount)} ${b.done}; these were not, and stay selected:` : 'None was; they stay selected:',
    testid: 'bulk-results',
    content: h('ul', { class: 'bulk-list bulk-results' }, failed.map((r) => h('li', { testid: 'bulk-result', dataset: { vm: r.vm.name } },
      icon('alert'),
      h('span', {}, h('strong', { class: 'mono' }, r.vm.name), h('br'),
        h('span', { testid: 'bulk-result-reason' }, `${r.error.title ? `${r.error.title}: ` : ''}${r.error.message}`))))),
    actions: [close],
  });
  close.focus();
}
