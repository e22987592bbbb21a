#!/usr/bin/env python3
"""Turns `zt-ctl --commands` (path TAB synopsis TAB help, one command a
line) into what must never drift from zt-ctl's command table: the bash
completion and the COMMANDS section of zt-ctl(1).

usage: gen-commands.py completion ZT-CTL OUT
       gen-commands.py man ZT-CTL TEMPLATE OUT
"""
import re
import subprocess
import sys


def commands(ctl):
    out = subprocess.run([ctl, "--commands"], check=True,
                         capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or not parts[0]:
            sys.exit("gen-commands: malformed line from --commands: %r"
                     % line)
        rows.append(parts)
    if not rows:
        sys.exit("gen-commands: zt-ctl --commands printed nothing")
    return rows


def tree(rows):
    """{word: subtree} for every command path; leaves are {}"""
    root = {}
    for path, _, _ in rows:
        node = root
        for word in path.split():
            node = node.setdefault(word, {})
    return root


def completion(rows):
    # one case arm per command prefix: the words that may follow it
    arms = []

    def walk(node, prefix):
        if node:
            arms.append((prefix, sorted(node)))
        for word, sub in node.items():
            walk(sub, (prefix + " " + word).strip())
    walk(tree(rows), "")
    # a first argument that is a choice of words ("[show|verify]",
    # "<planet|moon>") completes like a subcommand
    for path, args, _ in rows:
        m = re.match(r"^[\[<]([a-z][a-z0-9-]*(?:\|[a-z][a-z0-9-]*)+)[\]>]",
                     args)
        if m:
            arms.append((path, sorted(m.group(1).split("|"))))
    lines = [
        "# bash completion for zt-ctl, generated from its command table",
        "# (zt-ctl --commands) at build time: do not edit.",
        "_zt_ctl()",
        "{",
        "\tlocal cur=${COMP_WORDS[COMP_CWORD]} path= i w",
        "\tfor ((i = 1; i < COMP_CWORD; i++)); do",
        "\t\tw=${COMP_WORDS[i]}",
        "\t\tcase $w in",
        "\t\t-R) ((i++)); continue ;;",
        "\t\t-*) continue ;;",
        "\t\tesac",
        "\t\tpath=\"${path:+$path }$w\"",
        "\tdone",
        "\tif [[ ${COMP_WORDS[COMP_CWORD - 1]} == -R ]]; then",
        "\t\tCOMPREPLY=($(compgen -d -- \"$cur\"))",
        "\t\treturn",
        "\tfi",
        "\tcase $path in",
    ]
    for prefix, words in arms:
        opts = " -j -R --help --version" if prefix == "" else ""
        lines.append("\t\"%s\") COMPREPLY=($(compgen -W \"%s%s\" -- "
                     "\"$cur\")) ;;" % (prefix, " ".join(words), opts))
    lines += [
        "\t*) COMPREPLY=($(compgen -f -- \"$cur\")) ;;",
        "\tesac",
        "}",
        "complete -F _zt_ctl zt-ctl",
        "",
    ]
    return "\n".join(lines)


def man_escape(s):
    return s.replace("\\", "\\e")


def man(rows, template):
    items = []
    for path, args, text in rows:
        items.append(".It Cm %s%s" % (man_escape(path),
                     (" Ar " + man_escape(args)) if args else ""))
        items.append(man_escape(text))
    body = "\n".join([".Bl -tag -width Ds"] + items + [".El"])
    with open(template) as f:
        t = f.read()
    if "%%COMMANDS%%" not in t:
        sys.exit("gen-commands: no %%COMMANDS%% in %s" % template)
    return t.replace("%%COMMANDS%%", body)


def main(argv):
    if len(argv) == 4 and argv[1] == "completion":
        text = completion(commands(argv[2]))
        out = argv[3]
    elif len(argv) == 5 and argv[1] == "man":
        text = man(commands(argv[2]), argv[3])
        out = argv[4]
    else:
        sys.exit(__doc__)
    with open(out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main(sys.argv)
