// The one place that keeps guest state fresh. Views subscribe to a snapshot
// {vms, error, loaded, pending} and never fetch the list themselves; pages
// that show pools, networks or tasks follow those objects' events from here.
// It listens to the event stream (GET /api/events) and reloads the list when
// libvirt reports a change; only while the stream is down does it fall back
// to polling every 2 s (and every 30 s as a safety net while it is up).
// When the stream comes back (vireod restarted, the network returned) the
// list is read again at once; the stream itself replays the events missed
// in between, or says `reload` when it cannot, and then pages that follow
// other objects are told too (onResync).

import { api } from './api.js';

const POLL_MS = 2000;
const SAFETY_POLL_MS = 30000;
const EVENT_COALESCE_MS = 100;   // define + start + resume arrive together

const listeners = new Set();
const statusListeners = new Set();
const streamListeners = new Set();
let vms = [];
let loaded = false;
let error = null;
let timer = null;
let inflight = null;
let started = false;
let hooked = false;
let source = null;
// kind ('pool', 'network', 'task') -> Set of fns: pages that follow other objects.
const objectListeners = new Map();
const resyncListeners = new Set();
let streamOpen = false;
// The stream broke since it last opened: what came meanwhile may be missed.
let streamBroke = false;
// The last event id of a stream the browser gave up, for the next one.
let lastEventId = '';
let eventTimer = null;
// Bumped by stop(): answers to requests sent before it are dropped, so the
// next person to log in never sees the last one's guests.
let generation = 0;
// name -> {action, label, fromState, since}: actions sent and not yet visible in the state.
const pending = new Map();

function snapshot() {
  return { vms, loaded, error, pending };
}

function notify() {
  const snap = snapshot();
  for (const fn of listeners) {
    try { fn(snap); } catch (e) { console.error(e); }
  }
}

function setStatus(status) {
  for (const fn of statusListeners) fn(status);
}

function setStreamOpen(open) {
  if (open === streamOpen) return;
  streamOpen = open;
  for (const fn of streamListeners) fn(open);
}

// fn(open): whether the event stream is up (changes arrive as they happen)
// or down (the list is polled every 2 s meanwhile).
export function onStream(fn) {
  streamListeners.add(fn);
  fn(streamOpen);
  return () => streamListeners.delete(fn);
}

// fn(snapshot) is called now (if data is there) and after every change.
export function subscribe(fn) {
  listeners.add(fn);
  if (loaded || error) fn(snapshot());
  return () => listeners.delete(fn);
}

// fn(data) for each 'vm', 'pool' or 'network' event ({event, name, uuid}),
// each 'task' event (the task as GET /api/tasks/{id} shows it), or each
// 'stats' sample of one host ({time, interval, from: {id, name} of the
// host sampled, local, host: its figures, vms: [{uuid, name, state,
// started_at, uptime, stats, host}]}), while signed in; returns the
// function that stops it.
export function onObjectEvent(kind, fn) {
  if (!objectListeners.has(kind)) objectListeners.set(kind, new Set());
  objectListeners.get(kind).add(fn);
  return () => objectListeners.get(kind).delete(fn);
}

// Follows one task (a clone, an upload, a create) to its end: onUpdate(task)
// on every change, from the event stream, with a slow poll as a fallback
// when the stream is down. Returns {done, stop}: done resolves with the final
// task; stop() gives up following.
export function followTask(id, onUpdate) {
  let stop;
  const done = new Promise((resolve, reject) => {
    let over = false;
    const seen = (t) => {
      if (over || !t || t.id !== id) return;
      onUpdate(t);
      if (t.state !== 'queued' && t.state !== 'running') { finish(); resolve(t); }
    };
    const off = onObjectEvent('task', seen);
    const poll = async () => {
      try { seen((await api.task(id)).data); } catch (e) { finish(); reject(e); }
    };
    const timer = setInterval(poll, 2000);
    const finish = () => { over = true; off(); clearInterval(timer); };
    stop = finish;
    poll();
  });
  return { done, stop: () => stop() };
}

// fn() when events may have been missed and what a page shows should be read
// again (the stream said `reload`, e.g. after vireod restarted); returns the
// function that stops it. The guest list itself is reloaded here.
export function onResync(fn) {
  resyncListeners.add(fn);
  return () => resyncListeners.delete(fn);
}

function resync() {
  refreshNow();
  for (const fn of resyncListeners) {
    try { fn(); } catch (e) { console.error(e); }
  }
}

// fn('live' | 'paused' | 'offline' | 'connecting')
export function onStatus(fn) {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}

export function getVm(name) {
  return vms.find((v) => v.name === name) || null;
}

export function refreshNow() {
  if (inflight) return inflight;
  clearTimeout(timer);
  const gen = generation;
  const run = (async () => {
    try {
      const list = await api.listVms();
      if (gen !== generation) return;
      vms = list;
      loaded = true;
      error = null;
      expirePending();
      setStatus(document.hidden ? 'paused' : 'live');
      // The browser gave the stream up (an answer that was not a stream,
      // e.g. while vireod restarted): vireod answers again, so reopen it.
      if (!source && started) openStream();
    } catch (e) {
      if (gen !== generation) return;
      error = e;
      setStatus(e && e.status === 401 ? 'connecting' : 'offline');
    } finally {
      if (inflight === run) inflight = null;
      if (gen === generation) schedule();
    }
    notify();
  })();
  inflight = run;
  return run;
}

function schedule() {
  clearTimeout(timer);
  if (!started || document.hidden) return;
  timer = setTimeout(refreshNow, streamOpen ? SAFETY_POLL_MS : POLL_MS);
}

function openStream() {
  if (source || typeof EventSource === 'undefined') return;
  const resume = lastEventId ? `?last_event_id=${encodeURIComponent(lastEventId)}` : '';
  const es = new EventSource(`/api/events${resume}`);
  source = es;
  es.addEventListener('open', () => {
    if (source !== es) return;
    setStreamOpen(true);
    // Back after a break (vireod restarted): read the list now rather than
    // at the next safety poll; events from here on keep it fresh.
    if (streamBroke || error) {
      streamBroke = false;
      if (started && !document.hidden) refreshNow();
    } else {
      schedule();
    }
  });
  // The stream could not give what was missed (too old, or another vireod):
  // read everything again.
  es.addEventListener('reload', () => {
    if (started && source === es) resync();
  });
  es.addEventListener('vm', () => {
    if (!started || document.hidden) return;
    clearTimeout(eventTimer);
    eventTimer = setTimeout(refreshNow, EVENT_COALESCE_MS);
  });
  for (const kind of ['vm', 'pool', 'network', 'task', 'stats']) {
    es.addEventListener(kind, (e) => {
      if (!started) return;
      let data = null;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      for (const fn of objectListeners.get(kind) || []) {
        try { fn(data); } catch (err) { console.error(err); }
      }
    });
  }
  // EventSource reconnects by itself (after the `retry:` vireod gave, 1 s)
  // and resumes with Last-Event-ID; meanwhile, poll. When it gives up for
  // good (CLOSED), the next answered poll opens a new one.
  es.addEventListener('error', () => {
    if (source !== es) return;
    const wasOpen = streamOpen;
    setStreamOpen(false);
    streamBroke = true;
    if (es.readyState === EventSource.CLOSED) {
      lastEventId = es.lastEventId || lastEventId;
      es.close();
      source = null;
    }
    // Poll from now on; a failed reconnect (every second while vireod is
    // away) must not put the next poll off again.
    if (wasOpen) schedule();
  });
}

function closeStream() {
  if (source) source.close();
  source = null;
  setStreamOpen(false);
  streamBroke = false;
  lastEventId = '';
  clearTimeout(eventTimer);
}

// An action answer (VM_DETAIL) is fresher than the last poll: use it now.
export function applyVm(vm) {
  if (!vm || !vm.name) return;
  const i = vms.findIndex((v) => v.name === vm.name);
  const summary = {};
  for (const k of ['name', 'uuid', 'state', 'vcpus', 'memory', 'autostart', 'persistent', 'description', 'tags', 'created_at']) {
    if (k in vm) summary[k] = vm[k];
  }
  if (i >= 0) vms = vms.map((v, j) => (j === i ? { ...v, ...summary } : v));
  else vms = [...vms, summary].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  expirePending();
  notify();
}

export function removeVm(name) {
  vms = vms.filter((v) => v.name !== name);
  pending.delete(name);
  notify();
}

// Marks an action as in flight for a guest (buttons show a spinner).
export function setPending(name, info) {
  if (info) pending.set(name, { ...info, since: Date.now() });
  else pending.delete(name);
  notify();
}

// A request like shutdown or reboot is "done" for the API at once, but the
// guest takes a while: keep the hint until the state moves or a minute passes.
function expirePending() {
  const now = Date.now();
  for (const [name, p] of pending) {
    if (p.inflight) continue;
    const vm = vms.find((v) => v.name === name);
    if (!vm || vm.state !== p.fromState || now - p.since > 60000) pending.delete(name);
  }
}

export function start() {
  if (started) return;
  started = true;
  if (!hooked) {
    hooked = true;
    document.addEventListener('visibilitychange', () => {
      if (!started) return;
      if (document.hidden) {
        // Also a refresh an event asked for just before: none while hidden.
        clearTimeout(timer);
        clearTimeout(eventTimer);
        setStatus('paused');
      } else {
        refreshNow();
      }
    });
  }
  setStatus('connecting');
  openStream();
  refreshNow();
}

// Logged out: no more polling, and nothing of what was seen is kept.
export function stop() {
  started = false;
  generation++;
  closeStream();
  clearTimeout(timer);
  inflight = null;
  vms = [];
  loaded = false;
  error = null;
  pending.clear();
  setStatus('connecting');
}
