#!/usr/bin/env python3
# Run from the repository root: python3 docs/check-links.py   (exit status 1 and one line per broken link)
"""Every relative link in the repository's tracked *.md files must name an existing file, and an anchor
(#...) into a markdown file must name one of its headings (GitHub's slugs, duplicates numbered -1, -2, ...)."""
import os, re, subprocess, sys, unicodedata
root = sys.argv[1] if len(sys.argv) > 1 else '.'
files = subprocess.run(['git', '-C', root, 'ls-files', '*.md', '**/*.md'], capture_output=True, text=True).stdout.split()
files += subprocess.run(['git', '-C', root, 'ls-files', '--others', '--exclude-standard', '*.md', '**/*.md'],
                        capture_output=True, text=True).stdout.split()
files = sorted(set(files))

def slug(text):
    text = re.sub(r'`', '', text)
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', text)   # links in headings: their text
    text = text.strip().lower()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in ' -':
            out.append('-' if ch == ' ' else ch)
        elif ch == '_' or cat[0] in 'LN' or cat == 'Mn':
            out.append(ch)
    return ''.join(out)

anchors = {}
def anchors_of(path):
    if path not in anchors:
        seen = {}
        result = set()
        fence = False
        for line in open(path, encoding='utf-8'):
            if line.startswith('```'):
                fence = not fence
            m = None if fence else re.match(r'^(#{1,6})\s+(.*?)\s*#*\s*$', line)
            if m:
                s = slug(m.group(2))
                n = seen.get(s, 0)
                result.add(s if n == 0 else f'{s}-{n}')
                seen[s] = n + 1
        anchors[path] = result
    return anchors[path]

bad = 0
for f in files:
    path = os.path.join(root, f)
    fence = False
    for no, line in enumerate(open(path, encoding='utf-8'), 1):
        if line.startswith('```'):
            fence = not fence
        if fence:
            continue
        code_free = re.sub(r'`[^`]*`', lambda m: ' ' * len(m.group(0)), line)
        for m in re.finditer(r'!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+"[^"]*")?\)', code_free):
            target = m.group(1)
            if re.match(r'^[a-z]+:', target) or target.startswith('//'):
                continue          # http:, https:, mailto:
            file_part, _, anchor = target.partition('#')
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            if not os.path.exists(dest):
                print(f'{f}:{no}: {target}: no such file'); bad += 1; continue
            if anchor and dest.endswith('.md') and anchor not in anchors_of(dest):
                print(f'{f}:{no}: {target}: no such heading in {os.path.relpath(dest, root)}'); bad += 1
print(f'{len(files)} markdown files, {bad} broken links')
sys.exit(1 if bad else 0)
