// What vireod accepts as a name, per kind of object (the patterns of
// openapi.json), with the sentence a form shows when a name is not that.
// vireod checks again and has the last word; this only catches a typo before
// the request goes out.

import { FormError } from './forms.js';

export const NAMES = {
  // StorageName: pools, volumes, and a guest being renamed (VmPatch).
  // eslint-disable-next-line no-control-regex
  storage: { re: /^[^./\u0000-\u001f\u007f][^/\u0000-\u001f\u007f]*$/, maxBytes: 255, message: 'The name must be 1–255 characters, without “/”, not starting with “.”.' },
  // VmCreate and TemplateName.
  vm: { re: /^[A-Za-z0-9_+][A-Za-z0-9_.+-]{0,63}$/, message: 'The name must be 1–64 letters, digits, “_”, “.”, “+” or “-”, not starting with “.” or “-”.' },
  // NetworkCreate (virt_network_name_valid).
  network: { re: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, message: 'The name must be 1–64 letters, digits, “_”, “-” or “.”, not starting with “.” or “-”.' },
  // Username.
  user: { re: /^[a-z_][a-z0-9_.-]{0,63}$/, message: 'The username must be 1–64 lowercase letters, digits, _ . or -, starting with a letter or _.' },
};

// What is wrong with `name` as a `kind` name, or null when nothing is.
export function nameProblem(kind, name) {
  const rule = NAMES[kind];
  if (!rule.re.test(name)) return rule.message;
  if (rule.maxBytes && new TextEncoder().encode(name).length > rule.maxBytes) return rule.message;
  return null;
}

// The trimmed name when it is a valid `kind` name; else throws the FormError
// a form dialog shows.
export function checkName(kind, value) {
  const name = value.trim();
  const problem = nameProblem(kind, name);
  if (problem) throw new FormError(problem);
  return name;
}
