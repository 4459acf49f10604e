// What each libvirt domain state looks like, and which lifecycle actions
// make sense in it. The daemon still has the last word (409 conflict); this
// only keeps buttons that cannot work from being offered.

import { h, icon } from './dom.js';
import { badge } from './widgets.js';

export const STATES = {
  running:     { label: 'running',       tone: 'ok',      active: true },
  paused:      { label: 'paused',        tone: 'warn',    active: true },
  shutoff:     { label: 'shut off',      tone: 'off',     active: false },
  shutdown:    { label: 'shutting down', tone: 'busy',    active: true },
  crashed:     { label: 'crashed',       tone: 'bad',     active: false },
  pmsuspended: { label: 'suspended (PM)', tone: 'sleep',  active: true },
  blocked:     { label: 'blocked',       tone: 'busy',    active: true },
  nostate:     { label: 'no state',      tone: 'off',     active: false },
};

export function stateInfo(state) {
  return STATES[state] || { label: state || 'unknown', tone: 'off', active: false };
}

// Every lifecycle action the UI offers, in toolbar order.
export const ACTIONS = {
  start:    { label: 'Start',     icon: 'play',   verb: 'Starting',      done: 'started',  states: ['shutoff', 'crashed', 'nostate'] },
  shutdown: { label: 'Shutdown',  icon: 'power',  verb: 'Shutting down', done: 'asked to shut down', states: ['running', 'blocked'],
              hint: 'Asks the guest OS to shut down (ACPI power button)' },
  poweroff: { label: 'Power off', icon: 'stop',   verb: 'Powering off',  done: 'powered off', states: ['running', 'paused', 'blocked', 'shutdown', 'pmsuspended'],
              hint: 'Cuts power immediately, like pulling the plug', danger: true },
  reboot:   { label: 'Reboot',    icon: 'reboot', verb: 'Rebooting',     done: 'asked to reboot', states: ['running', 'blocked'],
              hint: 'Asks the guest OS to restart' },
  reset:    { label: 'Reset',     icon: 'reset',  verb: 'Resetting',     done: 'reset', states: ['running', 'paused', 'blocked'],
              hint: 'Hard reset, like pressing the reset button', danger: true },
  suspend:  { label: 'Suspend',   icon: 'pause',  verb: 'Suspending',    done: 'suspended', states: ['running', 'blocked'],
              hint: 'Pauses the virtual CPUs; memory stays allocated' },
  resume:   { label: 'Resume',    icon: 'resume', verb: 'Resuming',      done: 'resumed', states: ['paused'],
              hint: 'Lets a paused guest run again' },
};

export function canDo(action, state) {
  const a = ACTIONS[action];
  return !!a && a.states.includes(state);
}

export function stateBadge(state, testid = 'vm-state') {
  const info = stateInfo(state);
  return badge({ tone: info.tone, label: info.label, state: state || 'unknown', testid });
}

// "restart pending" beside the state of a running guest whose definition
// waits for its next boot (vm.next_boot, in the list and the detail alike);
// null when nothing waits.
export function nextBootMark(vm, testid) {
  const nb = vm.next_boot;
  if (!nb) return null;
  const parts = [];
  if (nb.vcpus !== undefined) parts.push(`${nb.vcpus} vCPUs`);
  if (nb.memory !== undefined) parts.push(`${nb.memory} MiB`);
  if (nb.boot) parts.push(`boot ${nb.boot.join(' → ') || 'default'}`);
  return h('span', { class: 'next-boot-mark', testid, title: `Waits for the next boot: ${parts.join(', ')}` },
    icon('clock'), 'restart pending');
}
