// The Details card of a guest's page (#/vms/NAME): description, tags and
// autostart, PATCHed with If-Match so two people never silently overwrite
// each other.

import { api } from './api.js';
import { h, icon, clear } from './dom.js';
import { showError, toast } from './ui.js';
import { spinner } from './widgets.js';

const TAG_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_TAGS = 32;
const MAX_DESC = 4096;

// The fields this card edits, as values to compare.
const editable = (vm) => ({ description: vm.description || '', tags: [...(vm.tags || [])], autostart: !!vm.autostart });
const sameEditable = (a, b) => a.description === b.description && a.autostart === b.autostart
  && a.tags.length === b.tags.length && a.tags.every((t, i) => t === b.tags[i]);

// The Details card: the description / tags / autostart editor. Built once
// per page; update() brings new data from the daemon; Save PATCHes with the
// ETag the edit started from, and a 412 either merges (nobody touched these
// fields) or says what changed. `this` holds the card's state.
export class EditForm {
  constructor(name, { getCurrent, onSaved, onLatest }) {
    this.name = name;
    this.getCurrent = getCurrent;
    this.onSaved = onSaved;
    this.onLatest = onLatest;
    this.base = null;      // editable values the user started from
    this.baseEtag = null;  // and the ETag they came with
    this.tags = [];
    this.saving = false;

    this.desc = h('textarea', {
      class: 'input textarea', id: 'edit-description', testid: 'edit-description', rows: '4', maxlength: String(MAX_DESC),
      placeholder: 'What is this guest for? Who looks after it?',
      oninput: () => this.changed(),
    });
    this.descCount = h('span', { class: 'field-hint', id: 'edit-description-count' });
    this.tagInput = h('input', {
      class: 'tag-input', id: 'edit-tags', testid: 'edit-tags', type: 'text', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'Add a tag…', 'aria-describedby': 'edit-tags-hint',
      onkeydown: (e) => this.tagKey(e),
      onblur: () => this.commitTagInput(),
      oninput: () => this.validateTagInput(),
    });
    this.tagChips = h('span', { class: 'tag-chips', testid: 'edit-tag-chips' });
    this.tagHint = h('span', { class: 'field-hint', id: 'edit-tags-hint' }, 'Letters, digits and . _ : - ; Enter or comma adds a tag.');
    this.auto = h('input', { type: 'checkbox', id: 'edit-autostart', testid: 'edit-autostart', class: 'switch-input', onchange: () => this.changed() });
    this.autoHint = h('span', { class: 'field-hint' });
    this.save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'edit-save', disabled: true }, 'Save changes');
    this.revert = h('button', { type: 'button', class: 'btn', testid: 'edit-revert', disabled: true, onclick: () => this.reset() }, 'Revert');
    this.status = h('div', { class: 'form-status', testid: 'edit-status', 'aria-live': 'polite' });

    const tagBox = h('div', { class: 'input tag-box', onclick: (e) => { if (e.target === tagBox) this.tagInput.focus(); } }, this.tagChips, this.tagInput);
    this.formEl = h('form', { class: 'form', testid: 'vm-edit-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      h('div', { class: 'field' },
        h('div', { class: 'field-top' }, h('label', { for: 'edit-description' }, 'Description'), this.descCount),
        this.desc),
      h('div', { class: 'field' }, h('label', { for: 'edit-tags' }, 'Tags'), tagBox, this.tagHint),
      h('div', { class: 'field field-inline' },
        h('label', { class: 'switch', for: 'edit-autostart' }, this.auto, h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', {}, 'Start with the host (autostart)')),
        this.autoHint),
      this.status,
      h('div', { class: 'form-actions' }, this.revert, this.save));
    this.el = h('section', { class: 'card card-form', testid: 'detail-edit', 'aria-label': 'Edit details' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, icon('edit'), 'Details')),
      h('div', { class: 'card-body' }, this.formEl));
  }

  values() {
    return { description: this.desc.value, tags: [...this.tags], autostart: this.auto.checked };
  }

  dirty() {
    return !!this.base && (!sameEditable(this.values(), this.base) || this.tagInput.value.trim() !== '');
  }

  // New data from the daemon. Untouched forms follow it; a form being edited
  // keeps the user's text and the ETag the edit started from.
  update(vm, etag, { force }) {
    this.auto.disabled = vm.persistent === false;
    this.autoHint.textContent = vm.persistent === false ? 'Transient guests cannot autostart.' : '';
    if (!force && this.dirty()) return;
    this.fill(editable(vm), etag);
  }

  fill(values, etag) {
    this.base = values;
    this.baseEtag = etag;
    this.desc.value = values.description;
    this.tags = [...values.tags];
    this.tagInput.value = '';
    this.auto.checked = values.autostart;
    this.renderTags();
    this.changed();
  }

  reset() {
    const { vm, etag } = this.getCurrent();
    clear(this.status);
    if (vm) this.fill(editable(vm), etag);
  }

  changed() {
    this.descCount.textContent = `${this.desc.value.length} / ${MAX_DESC}`;
    const dirty = this.dirty();
    this.save.disabled = !dirty || this.saving;
    this.revert.disabled = !dirty || this.saving;
    this.el.classList.toggle('is-dirty', dirty);
  }

  renderTags() {
    clear(this.tagChips).append(...this.tags.map((t, i) => h('span', { class: 'tag tag-edit', testid: 'edit-tag' }, t,
      h('button', {
        type: 'button', class: 'tag-remove', 'aria-label': `Remove tag ${t}`, title: `Remove ${t}`,
        onclick: () => { this.tags.splice(i, 1); this.renderTags(); this.changed(); this.tagInput.focus(); },
      }, icon('close')))));
  }

  tagKey(e) {
    if (e.key === 'Enter' || e.key === ',' || (e.key === ' ' && this.tagInput.value.trim())) {
      if (e.key !== 'Enter' || this.tagInput.value.trim()) {
        e.preventDefault();
        this.commitTagInput();
      }
    } else if (e.key === 'Backspace' && this.tagInput.value === '' && this.tags.length) {
      this.tags.pop();
      this.renderTags();
      this.changed();
    }
  }

  validateTagInput() {
    const bad = this.tagInput.value.split(/[\s,]+/).filter(Boolean).find((t) => !TAG_RE.test(t));
    this.tagHint.classList.toggle('field-error', !!bad);
    this.tagHint.textContent = bad
      ? `“${bad.slice(0, 70)}” is not a valid tag: use 1–64 letters, digits or . _ : -`
      : 'Letters, digits and . _ : - ; Enter or comma adds a tag.';
    this.changed();
    return !bad;
  }

  // Moves what is typed in the tag box into chips. False if something is invalid.
  commitTagInput() {
    if (!this.validateTagInput()) return false;
    const parts = this.tagInput.value.split(/[\s,]+/).filter(Boolean);
    for (const t of parts) {
      if (this.tags.includes(t)) continue;
      if (this.tags.length >= MAX_TAGS) {
        this.tagHint.classList.add('field-error');
        this.tagHint.textContent = `At most ${MAX_TAGS} tags.`;
        return false;
      }
      this.tags.push(t);
    }
    this.tagInput.value = '';
    this.renderTags();
    this.changed();
    return true;
  }

  async submit() {
    if (!this.commitTagInput() || this.saving) return;
    const v = this.values();
    const changes = {};
    if (v.description !== this.base.description) changes.description = v.description;
    if (!sameEditable({ ...this.base, tags: v.tags }, this.base)) changes.tags = v.tags;
    if (v.autostart !== this.base.autostart) changes.autostart = v.autostart;
    if (Object.keys(changes).length === 0) return;
    await this.send(changes, this.baseEtag, true);
  }

  async send(changes, etag, mayMerge) {
    this.saving = true;
    this.changed();
    clear(this.status);
    this.status.append(h('span', { class: 'muted' }, spinner(), ' Saving…'));
    try {
      const { data, etag: newEtag } = await api.patchVm(this.name, changes, etag);
      this.saving = false;
      clear(this.status);
      this.onSaved(data, newEtag);
      toast('Details saved');
    } catch (e) {
      this.saving = false;
      clear(this.status);
      if (e.status === 412) await this.conflict(changes, mayMerge);
      else {
        this.status.append(h('p', { class: 'field-error', testid: 'edit-error' }, e.message));
        showError(e, `Could not save “${this.name}”`);
      }
      this.changed();
    }
  }

  // 412: the guest changed since the form was filled. When the fields being
  // edited are untouched on the daemon (only e.g. its state moved), nothing of
  // anyone else's would be lost, so send again against the new ETag; else say so.
  async conflict(changes, mayMerge) {
    let latest;
    try {
      latest = await api.getVm(this.name);
    } catch (e) {
      showError(e, `Could not save “${this.name}”`);
      return;
    }
    this.onLatest(latest.data, latest.etag);
    const theirs = editable(latest.data);
    if (mayMerge && sameEditable(theirs, this.base)) {
      this.base = theirs;
      this.baseEtag = latest.etag;
      await this.send(changes, latest.etag, false);
      return;
    }
    const what = [];
    if (theirs.description !== this.base.description) what.push('description');
    if (!sameEditable({ ...this.base, tags: theirs.tags }, this.base)) what.push('tags');
    if (theirs.autostart !== this.base.autostart) what.push('autostart');
    const msg = `“${this.name}” was changed by someone else while you were editing${what.length ? ` (${what.join(', ')})` : ''}. Your changes were not saved.`;
    this.status.append(h('div', { class: 'conflict', role: 'alert', testid: 'conflict-message' },
      icon('alert', 'icon conflict-icon'),
      h('div', {},
        h('strong', {}, 'Edit conflict (412 precondition failed)'),
        h('p', {}, msg),
        theirs.description !== this.base.description
          ? h('p', { class: 'conflict-theirs' }, 'Their description: ', h('q', {}, theirs.description || '(empty)')) : null,
        h('div', { class: 'conflict-actions' },
          h('button', { type: 'button', class: 'btn btn-sm', testid: 'conflict-reload', onclick: () => { clear(this.status); this.fill(theirs, latest.etag); } }, 'Discard mine, load theirs'),
          h('button', {
            type: 'button', class: 'btn btn-sm btn-danger', testid: 'conflict-overwrite',
            onclick: () => { this.base = theirs; this.baseEtag = latest.etag; this.submit(); },
          }, 'Overwrite with mine')))));
  }
}
