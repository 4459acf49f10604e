// The signed-in person's recent tasks (clones, uploads, creates that copy),
// kept in one place for every view that shows them: read once with
// GET /api/tasks, then kept current by the event stream's `task` frames
// (each carries the whole task), and read again when the stream says
// events were missed. Nothing here polls.

import { api } from './api.js';
import { onObjectEvent, onResync } from './live.js';

const KEEP = 30;
const listeners = new Set();
const finishListeners = new Set();
let tasks = [];
let loaded = false;
let error = null;
let offEvents = null;
let generation = 0;

export const isLive = (t) => t.state === 'queued' || t.state === 'running';

function snapshot() {
  return { tasks, loaded, error, running: tasks.filter(isLive).length };
}

function notify() {
  const snap = snapshot();
  for (const fn of listeners) {
    try { fn(snap); } catch (e) { console.error(e); }
  }
}

// fn({tasks (newest first), loaded, error, running}) now and on every change.
export function subscribeTasks(fn) {
  listeners.add(fn);
  fn(snapshot());
  return () => listeners.delete(fn);
}

// fn(task) once for each task seen going from queued/running to its end.
export function onTaskFinished(fn) {
  finishListeners.add(fn);
  return () => finishListeners.delete(fn);
}

async function load() {
  const gen = generation;
  try {
    const { data } = await api.tasks({ limit: KEEP });
    if (gen !== generation) return;
    tasks = data.tasks || [];
    error = null;
  } catch (e) {
    if (gen !== generation) return;
    error = e;
  }
  loaded = true;
  notify();
}

function merge(t) {
  if (!t || !t.id) return;
  const before = tasks.find((x) => x.id === t.id);
  tasks = [t, ...tasks.filter((x) => x.id !== t.id)].sort((a, b) => b.id - a.id).slice(0, KEEP);
  notify();
  if (!isLive(t) && (!before || isLive(before))) {
    for (const fn of finishListeners) {
      try { fn(t); } catch (e) { console.error(e); }
    }
  }
}

// Signed in: read the list and follow the stream.
export function startTasks() {
  if (offEvents) return;
  const offTask = onObjectEvent('task', merge);
  const offResync = onResync(load);
  offEvents = () => { offTask(); offResync(); };
  load();
}

// Signed out: forget everything (the next person sees only their own).
export function stopTasks() {
  generation++;
  if (offEvents) offEvents();
  offEvents = null;
  tasks = [];
  loaded = false;
  error = null;
  notify();
}

// Reads the list again (a "Try again" after a failed load).
export const reloadTasks = () => load();
