// Links that open a guest's console page (console.html) in a window of its
// own, one per guest and kind: a second click brings the same window back.

import { h, icon } from './dom.js';

export function consoleHref(name, type) {
  return `console.html#vm=${encodeURIComponent(name)}&type=${type}`;
}

// An anchor styled as a button; `running` false shows it switched off (the
// console page can still start the guest, but a closed console is no use).
export function consoleLink(vm, type, { label, cls = 'btn btn-sm', testid } = {}) {
  const screen = type === 'vnc';
  const text = label || (screen ? 'Console' : 'Serial console');
  return h('a', {
    class: cls,
    href: consoleHref(vm.name, type),
    target: `vireo-console-${vm.name}-${type}`,
    rel: 'noopener',
    testid: testid || `console-${type}`,
    title: screen ? `Open ${vm.name}'s screen in a new window` : `Open ${vm.name}'s serial line in a new window`,
  }, icon(screen ? 'screen' : 'device'), h('span', { class: 'btn-label' }, text));
}
