"""The files of the web UI's first screen: index.html, its stylesheet and
icon, and every module app.js imports, directly or not (for run.sh)."""
import os
import re
import sys

root = sys.argv[1]
seen, todo = set(), ["js/app.js"]
pattern = re.compile(r"(?:from|import)\s*\(?\s*['\"](\./[^'\"]+)['\"]")
while todo:
    f = todo.pop()
    if f in seen:
        continue
    seen.add(f)
    with open(os.path.join(root, f)) as fh:
        text = fh.read()
    for m in pattern.finditer(text):
        todo.append(os.path.normpath(os.path.join(os.path.dirname(f), m.group(1))))
print(" ".join(["/", "/css/app.css", "/favicon.svg"] + ["/" + f for f in sorted(seen)]))
