// #/backups (admins: every job and backup; operators: their own): backup jobs (schedule, VMs, target pool, how many
// to keep; next run and how the last one ended; run now, edit, delete) and
// the backups they keep (restore as a new guest or over the guest, delete). Runs and
// restores are tasks: their progress shows in the dialogs and the task list.
// With two hosts or more, each guest is named with its host (a job may back up
// guests of several hosts; a backup is restored onto its guest's host).

import { api } from './api.js';
import { clear, fmtBytes, fmtDate, h } from './dom.js';
import { FormError, checkInput, field, formDialog, selectInput, textInput } from './forms.js';
import { checkName } from './names.js';
import { followTask } from './live.js';
import { navigate, vmHref } from './router.js';
import { attempt, confirmDialog, readOrSay, showError, toast } from './ui.js';
import {
  ACTIONS, badge, card, countBadge, dataTable, deleteButton, emptyState, loadError, newButton, pageHead, progressBar, rowButton, skeleton,
} from './widgets.js';

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

export function mountBackups(root) {
  const page = {
    disposed: false,
    el: {
      jobCount: countBadge('backup-jobs-count'),
      jobs: h('div', { class: 'card-body card-body-flush' }, skeleton(2)),
      keptCount: countBadge('backups-count'),
      kept: h('div', { class: 'card-body card-body-flush' }, skeleton(2)),
    },
  };
  root.append(h('section', { class: 'view view-backups', testid: 'view-backups' },
    pageHead('clock', 'Backups',
      'Jobs that write each guest’s archive (definition and disks) into a storage pool every day or week, keeping the newest few. Running guests are copied at one instant while they keep running.',
      newButton({ testid: 'backup-job-new', label: 'New job', onclick: () => edit(page, null) })),
    card({ title: ['Jobs ', page.el.jobCount], cls: 'card-flush', body: page.el.jobs }),
    card({ title: ['Kept backups ', page.el.keptCount], cls: 'card-flush', body: page.el.kept })));
  load(page);
  return () => { page.disposed = true; };
}

async function load(page) {
  try {
    const [{ data: jobs }, { data: kept }, { data: hosts }] = await Promise.all([api.backupJobs(), api.backups(), api.hosts()]);
    if (page.disposed) return;
    page.hosts = hosts.hosts || [];
    page.many = page.hosts.length > 1;
    renderJobs(page, jobs.jobs || []);
    renderKept(page, kept.backups || []);
  } catch (e) {
    if (page.disposed) return;
    clear(page.el.jobs).append(loadError('Could not load the backups', e, () => load(page)));
  }
}

const reload = (page) => { if (!page.disposed) load(page); };

function scheduleText(s) {
  return s.every === 'week' ? `${capital(s.weekday)}s at ${s.at}` : `Every day at ${s.at}`;
}

function lastRun(j) {
  if (!j.last_state) return h('span', { class: 'muted' }, 'Never run');
  const tone = j.last_state === 'succeeded' ? 'ok' : j.last_state === 'failed' ? 'bad' : 'busy';
  return h('span', {},
    badge({ tone, label: capital(j.last_state), testid: 'backup-job-last-state' }),
    h('span', { class: 'cell-sub' }, fmtDate(j.last_run_at)),
    j.last_message ? h('span', { class: 'cell-sub', testid: 'backup-job-last-message' }, j.last_message) : null);
}

function renderJobs(page, jobs) {
  page.el.jobCount.textContent = String(jobs.length);
  if (!jobs.length) {
    clear(page.el.jobs).append(emptyState({
      ic: 'clock', title: 'No backup jobs', testid: 'backup-jobs-empty',
      text: 'Make one to back guests up on a schedule.',
    }));
    return;
  }
  clear(page.el.jobs).append(dataTable({
    testid: 'backup-jobs-table', caption: 'Backup jobs',
    columns: ['Job', 'Guests', 'Into', 'Next run', 'Last run', ACTIONS],
    rows: jobs.map((j) => h('tr', { testid: 'backup-job-row', dataset: { job: j.name } },
      h('td', { 'data-label': 'Job' }, h('strong', { testid: 'backup-job-name' }, j.name),
        h('span', { class: 'cell-sub' }, scheduleText(j.schedule))),
      h('td', { 'data-label': 'Guests', testid: 'backup-job-vms-cell' }, j.vms.map((v) => guestLabel(page, v)).join(', ')),
      h('td', { 'data-label': 'Into' }, j.pool, h('span', { class: 'cell-sub' }, `keeps ${j.keep} per guest`)),
      h('td', { 'data-label': 'Next run', testid: 'backup-job-next' }, fmtDate(j.next_run_at)),
      h('td', { 'data-label': 'Last run' }, lastRun(j)),
      h('td', { class: 'col-actions' }, h('div', { class: 'row-actions' },
        rowButton({ ic: 'play', label: 'Run now', testid: 'backup-job-run', onclick: () => runNow(page, j) }),
        rowButton({ ic: 'edit', label: 'Edit', testid: 'backup-job-edit', aria: `Edit ${j.name}`, onclick: () => edit(page, j) }),
        deleteButton({ testid: 'backup-job-delete', label: `Delete ${j.name}`, onclick: () => removeJob(page, j) }))))),
  }));
}

// A job's guest, with its host when there are several.
function guestLabel(page, v) {
  const name = v.name || `${v.uuid} (gone)`;
  return page.many ? `${name} on ${v.host ? v.host.name : 'a removed host'}` : name;
}

const hostName = (b) => (b.host ? b.host.name : 'removed');

function renderKept(page, kept) {
  page.el.keptCount.textContent = String(kept.length);
  if (!kept.length) {
    clear(page.el.kept).append(emptyState({ ic: 'empty', title: 'No backups yet', testid: 'backups-empty', text: 'Jobs keep their backups here.' }));
    return;
  }
  clear(page.el.kept).append(dataTable({
    testid: 'backups-table', caption: 'Kept backups',
    columns: ['Guest', ...(page.many ? ['Host'] : []), 'Taken', 'Size', 'Job', ACTIONS],
    rows: kept.map((b) => h('tr', { testid: 'backup-row', dataset: { backup: String(b.id) } },
      h('td', { 'data-label': 'Guest' }, h('strong', {}, b.vm), h('span', { class: 'cell-sub' }, `${b.pool} / ${b.volume}`)),
      page.many ? h('td', { 'data-label': 'Host', testid: 'backup-host' }, hostName(b)) : null,
      h('td', { 'data-label': 'Taken' }, fmtDate(b.created_at)),
      h('td', { 'data-label': 'Size' }, fmtBytes(b.size)),
      h('td', { 'data-label': 'Job' }, b.job, b.job_exists ? null : h('span', { class: 'cell-sub' }, 'job deleted')),
      h('td', { class: 'col-actions' }, h('div', { class: 'row-actions' },
        rowButton({ ic: 'reset', label: 'Restore', testid: 'backup-restore', aria: `Restore ${b.vm} from ${fmtDate(b.created_at)}`, onclick: () => restore(page, b) }),
        deleteButton({ testid: 'backup-delete', label: `Delete the backup of ${b.vm}`, onclick: () => removeBackup(page, b) }))))),
  }));
}

// ---- jobs ----

async function runNow(page, j) {
  try {
    const { data } = await api.runBackupJob(j.name);
    toast(`Backup job ${j.name} is running (task ${data.id})`);
    followTask(data.id, () => {}).done.then(() => reload(page), () => reload(page));
    reload(page);
  } catch (e) {
    showError(e, `Could not run ${j.name}`);
  }
}

async function edit(page, current) {
  const loaded = await readOrSay(() => Promise.all([api.listVms(), api.pools()]), 'Could not load the guests and pools');
  if (!loaded) return;
  const [vms, { data: poolData }] = loaded;
  let etag = null;
  if (current) {
    try {
      ({ data: current, etag } = await api.getBackupJob(current.name));
    } catch (e) {
      showError(e, `Could not read ${current.name}`);
      reload(page);
      return;
    }
  }
  const saved = await jobDialog(current, etag, vms, poolData.pools || [], page.many);
  if (!saved) return;
  toast(current ? `Backup job ${saved.name} saved` : `Backup job ${saved.name} created`);
  reload(page);
}

function jobDialog(current, etag, vms, pools, many) {
  const name = textInput({ testid: 'backup-job-name-input', maxlength: '64', required: true, placeholder: 'e.g. nightly' });
  const every = selectInput({ testid: 'backup-job-every', options: [['day', 'Every day'], ['week', 'Every week']] });
  const at = h('input', { class: 'input', type: 'time', testid: 'backup-job-at', value: '03:00', required: true });
  const weekday = selectInput({ testid: 'backup-job-weekday', options: WEEKDAYS.map((d) => [d, capital(d)]), value: 'sunday' });
  const dayField = field({ label: 'On', control: weekday });
  const showDay = () => { dayField.hidden = every.value !== 'week'; };
  every.addEventListener('change', showDay);
  // A guest is its UUID on its host: one name (or UUID) may be on two hosts.
  const key = (uuid, host) => `${host ? host.id : ''}/${uuid}`;
  const chosen = new Set((current ? current.vms : []).map((v) => key(v.uuid, v.host)));
  const boxes = vms.map((vm) => checkInput({
    testid: 'backup-job-vm', label: many && vm.host ? `${vm.name} (${vm.host.name})` : vm.name, checked: chosen.has(key(vm.uuid, vm.host)),
  }));
  boxes.forEach((b, i) => { b.input.value = vms[i].name; });
  // With several hosts each guest names its host ({vm, host}).
  const pick = (i) => (many && vms[i].host ? { vm: vms[i].name, host: vms[i].host.name } : vms[i].name);
  const vmList = h('div', { class: 'check-list', testid: 'backup-job-vms' }, boxes.map((b) => b.el));
  const pool = selectInput({ testid: 'backup-job-pool', options: pools.map((p) => p.name) });
  const keep = h('input', { class: 'input', type: 'number', min: '1', max: '1000', value: '7', testid: 'backup-job-keep', required: true });
  if (current) {
    name.value = current.name;
    every.value = current.schedule.every;
    at.value = current.schedule.at;
    if (current.schedule.weekday) weekday.value = current.schedule.weekday;
    pool.value = current.pool;
    keep.value = String(current.keep);
  }
  showDay();
  return formDialog({
    title: current ? `Edit ${current.name}` : 'New backup job',
    intro: 'Each run writes one archive per guest into the pool (a volume you can also download) and deletes the oldest beyond how many to keep.',
    testid: 'backup-job-dialog',
    submitLabel: current ? 'Save' : 'Create job',
    content: [field({ label: 'Name', control: name }), field({ label: 'How often', control: every }), field({ label: 'At (this host’s local time)', control: at }), dayField,
      field({ label: 'Guests', control: vmList, box: vmList }), field({ label: 'Into storage pool', control: pool }),
      field({ label: 'Backups to keep per guest', control: keep })],
    submit: async () => {
      const jobName = checkName('vm', name.value);
      const picked = boxes.map((b, i) => (b.input.checked ? pick(i) : null)).filter((v) => v !== null);
      if (!picked.length) throw new FormError('Pick at least one guest.');
      const schedule = { every: every.value, at: at.value };
      if (every.value === 'week') schedule.weekday = weekday.value;
      const body = { name: jobName, schedule, vms: picked, pool: pool.value, keep: Number(keep.value) };
      const { data } = current ? await api.patchBackupJob(current.name, body, etag) : await api.createBackupJob(body);
      return data;
    },
  });
}

async function removeJob(page, j) {
  const { ok } = await confirmDialog({
    title: `Delete the backup job ${j.name}?`,
    body: ['It runs no more. The backups it kept stay until you delete them.'],
    confirmLabel: 'Delete job',
  });
  if (!ok) return;
  await attempt(() => api.deleteBackupJob(j.name), `Backup job ${j.name} was deleted`, `Could not delete ${j.name}`);
  reload(page);
}

// ---- kept backups ----

async function restore(page, b) {
  // As a new guest, or over the guest it was taken from (Proxmox's
  // "restore over"): that one keeps its name, UUID, owner, grants, tags and
  // description and gets the backup's disks and definition.
  const mode = selectInput({
    testid: 'restore-mode',
    options: [['new', 'As a new guest'], ['replace', `Over ${b.vm} (replace its disks and settings)`]],
  });
  const name = textInput({ testid: 'restore-name', maxlength: '64', value: `${b.vm}-restored` });
  const nameField = field({ label: 'Name of the new guest', control: name, hint: 'Letters, digits and _ . + -' });
  const replaceNote = h('p', { class: 'muted', testid: 'restore-replace-note', hidden: true },
    `${b.vm} must be shut off and have no snapshots. Its disks are replaced by the backup's only once the whole archive was read and checked; if anything fails, it stays as it was.`);
  // Where a new guest goes: a host (with several) and a pool of it; by
  // default the host of the backup's guest and the pool its disks were in.
  const others = page.many ? page.hosts : [];
  const ownHost = (b.host && others.find((x) => x.id === b.host.id)) || others.find((x) => x.local);
  const host = selectInput({
    testid: 'restore-host',
    options: others.map((x) => [String(x.id), `${x.name}${x.state === 'connected' ? '' : ` (${x.state})`}`]),
    value: ownHost ? String(ownHost.id) : null,
  });
  const pool = selectInput({ testid: 'restore-pool', options: [['', 'Where its disks were']] });
  const hostField = field({ label: 'Host', control: host, hint: 'The libvirt host the new guest is made on' });
  hostField.hidden = !page.many;
  const poolField = field({ label: 'Storage pool', control: pool, hint: 'For its disks, on that host' });
  const loadPools = async () => {
    const chosen = page.many ? host.value : null;
    const data = await api.pools(chosen).then((r) => r.data.pools || [], () => []);
    if (chosen !== (page.many ? host.value : null)) return; // another host was chosen meanwhile
    clear(pool).append(h('option', { value: '' }, 'Where its disks were'),
      ...data.filter((p) => p.state === undefined || p.state === 'running').map((p) => h('option', { value: p.name }, p.name)));
  };
  host.addEventListener('change', loadPools);
  loadPools();
  // Over the guest itself: its name, host and pools are its own.
  mode.addEventListener('change', () => {
    const replace = mode.value === 'replace';
    nameField.hidden = replace;
    replaceNote.hidden = !replace;
    hostField.hidden = !page.many || replace;
    poolField.hidden = replace;
  });
  const start = checkInput({ testid: 'restore-start', label: 'Start it once restored' });
  const bar = progressBar({ testid: 'restore-progress', label: 'Restoring' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const progress = h('div', { class: 'upload-progress', hidden: true }, bar.el, status);
  const made = await formDialog({
    title: `Restore ${b.vm}`,
    intro: `From the backup of ${fmtDate(b.created_at)}: as a new guest (its definition, disks, description and tags, with a new UUID and MAC addresses), or over ${b.vm} itself${page.many && b.host ? `, on ${b.host.name}` : ''}. The digests of the archive are checked; nothing is left behind if it fails.`,
    testid: 'restore-dialog',
    submitLabel: 'Restore',
    content: [field({ label: 'Restore', control: mode }), nameField, hostField, poolField, replaceNote, start.el, progress],
    submit: async () => {
      const replace = mode.value === 'replace';
      const n = replace ? b.vm : checkName('vm', name.value);
      const body = replace ? { replace: true, start: start.input.checked } : { name: n, start: start.input.checked };
      if (!replace && pool.value) body.pool = pool.value;
      const onto = !replace && page.many ? host.value : null;
      const { data } = await api.restoreBackup(b.id, body, onto);
      progress.hidden = false;
      const end = await followTask(data.id, (t) => {
        bar.set(t.progress);
        status.textContent = `${t.progress}% · ${t.message || t.state}`;
      }).done;
      if (end.state !== 'succeeded') {
        const why = end.error ? end.error.message : end.state;
        throw new Error(replace ? `${b.vm} was not restored and stays as it was: ${why}` : `The backup was not restored (nothing was left behind): ${why}`);
      }
      // "/api/vms/NAME", with "?host=ID" on another host than vireod's.
      const m = end.result ? /^\/api\/vms\/([^?]+)/.exec(end.result) : null;
      return m ? decodeURIComponent(m[1]) : n;
    },
  });
  if (!made) return;
  toast(`“${made}” was restored from the backup of ${b.vm}`);
  // Restored onto the host chosen, or over its guest on that guest's host.
  const landed = mode.value === 'replace' ? b.host : others.find((x) => String(x.id) === host.value);
  navigate(vmHref(made, page.many && landed ? landed.name : null));
}

async function removeBackup(page, b) {
  const { ok } = await confirmDialog({
    title: `Delete the backup of ${b.vm} from ${fmtDate(b.created_at)}?`,
    body: [`Its archive (${b.pool} / ${b.volume}) is deleted with it.`],
    confirmLabel: 'Delete backup',
  });
  if (!ok) return;
  await attempt(() => api.deleteBackup(b.id), 'The backup was deleted', 'Could not delete the backup');
  reload(page);
}
