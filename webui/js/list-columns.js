// The guest list's columns: their headers (sortable ones are buttons, the
// sorted one carries aria-sort), the order each sorts in, and the cells of
// the live figures, which the list refreshes in place on every sample.

import { h } from './dom.js';
import { fmtMemory, fmtPercent, fmtUptime } from './units.js';

// Running first, stopped last: the order of the State column.
const STATE_RANK = ['running', 'blocked', 'paused', 'pmsuspended', 'shutdown', 'crashed', 'nostate', 'shutoff'];
const rank = (s) => { const i = STATE_RANK.indexOf(s); return i < 0 ? STATE_RANK.length : i; };
// One collator for every comparison: localeCompare with options builds one per call.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const byName = (a, b) => collator.compare(a.name, b.name);

// key -> [header words, the column's class, first direction, value for sorting]
// (fig: the guest's live figures from vm-figures.js).
export const COLUMNS = {
  name: ['Name', 'col-name', 'asc', null],
  state: ['State', 'col-state', 'asc', (vm) => rank(vm.state)],
  vcpus: ['vCPUs', 'num col-vcpus', 'desc', (vm) => vm.vcpus ?? -1],
  memory: ['Memory', 'num col-memory', 'desc', (vm) => vm.memory ?? -1],
  cpu: ['CPU', 'num col-live col-cpu', 'desc', (vm, fig) => fig.cpu ?? -1],
  memused: ['Memory used', 'num col-live col-memused', 'desc', (vm, fig) => fig.memUsed ?? -1],
  uptime: ['Uptime', 'num col-live col-uptime', 'desc', (vm, fig) => fig.uptime ?? -1],
};

// Sorts `vms` in place by `sort` and `dir`; ties go by name.
export function sortVms(vms, { sort, dir }, figOf) {
  const value = COLUMNS[sort][3];
  const sign = dir === 'desc' ? -1 : 1;
  if (!value) return vms.sort((a, b) => sign * byName(a, b));
  const keyed = vms.map((vm) => [value(vm, figOf(vm)), vm]);
  keyed.sort(([x, a], [y, b]) => (x === y ? byName(a, b) : sign * (x < y ? -1 : 1)));
  return keyed.map(([, vm]) => vm);
}

// The header cell of `key`: a button that sorts by it (again: the other way).
export function sortHeader(key, view, onSort) {
  const [label, cls] = COLUMNS[key];
  const on = view.sort === key;
  const arrow = h('span', { class: 'sort-arrow', 'aria-hidden': 'true' }, on ? (view.dir === 'asc' ? '▲' : '▼') : '');
  return h('th', {
    scope: 'col', class: `${cls} sortable${on ? ' is-sorted' : ''}`,
    'aria-sort': on ? (view.dir === 'asc' ? 'ascending' : 'descending') : null, dataset: { sort: key },
  }, h('button', { type: 'button', class: 'sort-button', testid: `sort-${key}`, onclick: () => onSort(key) }, label, arrow));
}

// The direction a click on `key` sorts in.
export function nextSort(view, key) {
  if (view.sort === key) return { sort: key, dir: view.dir === 'asc' ? 'desc' : 'asc' };
  return { sort: key, dir: COLUMNS[key][2] };
}

// The three live cells of a row, built once and refreshed in place.
export function liveCells() {
  const cpuText = h('span', { class: 'fig-text' });
  const cpuFill = h('span', { class: 'fig-fill' });
  const cpuBar = h('span', { class: 'fig-bar', 'aria-hidden': 'true' }, cpuFill);
  const cells = {
    cpu: h('td', { class: COLUMNS.cpu[1], 'data-label': 'CPU', testid: 'vm-cpu' },
      cpuText, cpuBar),
    memused: h('td', { class: COLUMNS.memused[1], 'data-label': 'Memory used', testid: 'vm-memused' }),
    uptime: h('td', { class: COLUMNS.uptime[1], 'data-label': 'Uptime', testid: 'vm-uptime' }),
  };
  let last = '';
  return {
    cells,
    update(fig) {
      const sig = `${fig.cpu}|${fig.memUsed}|${fig.uptime === null ? '' : fmtUptime(fig.uptime)}`;
      if (sig === last) return;
      last = sig;
      cpuText.textContent = fmtPercent(fig.cpu);
      cpuFill.style.width = `${Math.min(100, Math.max(0, fig.cpu ?? 0))}%`;
      cpuBar.hidden = fig.cpu === null;
      cells.cpu.title = fig.cpu === null ? '' : 'Share of its own vCPUs in use, in the last sample';
      cells.memused.textContent = fmtMemory(fig.memUsed);
      cells.memused.title = fig.memTotal ? `of ${fmtMemory(fig.memTotal)}` : '';
      cells.uptime.textContent = fmtUptime(fig.uptime);
    },
  };
}
