#!/usr/bin/env python3
"""The statements the server sent, read from PostgreSQL's log (scripts/bench-http.sh).

capture.py LOG OFFSET DATABASE OUTDIR

LOG is the server's log file from byte OFFSET on, written with `log_statement = 'all'` for
DATABASE and a `log_line_prefix` of `%m [%p] %q%u@%d ` (Debian's default: the time, the
backend's pid, the user and the database). The benchmark marks the log with statements of
its own, `SELECT 'bench-mark|KIND|N'` before each captured request of KIND and
`SELECT 'bench-mark|end|0'` after the last, and `bench-mark|idle|N` around a pause without
requests: whatever the server sent during the pause is its background work (the SMS sender
looks every second), and those statements are left out of the requests' windows.

For each KIND, writes OUTDIR/KIND.N.sql: one pgbench script per captured request, its
statements in order with the logged parameters written in as literals (pgbench
`-M prepared` prepares each); OUTDIR/counts.tsv: KIND, requests, statements per request (min
and max), of them transaction control (BEGIN, COMMIT...), and the most backend connections
one request used; OUTDIR/explain.sql: every statement of the first request of each KIND
under EXPLAIN (ANALYZE, BUFFERS), the whole request in one transaction that is rolled back.
"""

import os
import re
import sys
from collections import defaultdict

PREFIX = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(?P<pid>\d+)\] (?P<who>\S*) ?(?P<level>[A-Z]+):  (?P<text>.*)$"
)
MARK = re.compile(r"^SELECT 'bench-mark\|(?P<kind>[a-z_-]+)\|(?P<n>\d+)'$")
CONTROL = re.compile(r"^(BEGIN|COMMIT|ROLLBACK|START|SAVEPOINT|RELEASE|SET|RESET|DEALLOCATE|DISCARD)\b", re.I)


def entries(path, offset, database):
    """(pid, level, text) of every log entry of DATABASE, continuation lines joined."""
    current = None
    with open(path, "rb") as f:
        f.seek(offset)
        for raw in f:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            match = PREFIX.match(line)
            if match:
                if current:
                    yield current
                who = match.group("who")
                if who.endswith("@" + database):
                    current = [match.group("pid"), match.group("level"), match.group("text")]
                else:
                    current = None
            elif current is not None and line.startswith("\t"):
                current[2] += "\n" + line[1:]
            elif current is not None:
                # A line the prefix doesn't start: an entry without tabs (never from us).
                current[2] += "\n" + line
        if current:
            yield current


def parse_parameters(text):
    """`$1 = 'a''b', $2 = NULL` -> {1: "'a''b'", 2: "NULL"}: each value as SQL literal text."""
    params, i = {}, 0
    while i < len(text):
        match = re.compile(r"\$(\d+) = ").match(text, i)
        if not match:
            raise ValueError(f"parameters not understood at {text[i:i + 40]!r}")
        number, i = int(match.group(1)), match.end()
        if text.startswith("NULL", i):
            params[number], i = "NULL", i + 4
        elif text[i] == "'":
            j = i + 1
            while True:
                j = text.index("'", j)
                if text.startswith("''", j):
                    j += 2
                    continue
                break
            params[number], i = text[i : j + 1], j + 1
        else:
            raise ValueError(f"parameter ${number} not understood at {text[i:i + 40]!r}")
        if text.startswith(", ", i):
            i += 2
    return params


def statements(path, offset, database):
    """(pid, sql with parameters written in) of every statement, marks included."""
    pending = None  # a statement whose parameters may follow on a DETAIL line
    for pid, level, text in entries(path, offset, database):
        if level == "DETAIL" and text.startswith("parameters: ") and pending and pending[0] == pid:
            params = parse_parameters(text[len("parameters: "):])
            sql = re.sub(
                r"\$(\d+)\b",
                lambda m: params.get(int(m.group(1)), m.group(0)),
                pending[1],
            )
            yield pid, sql
            pending = None
            continue
        if pending:
            yield pending
            pending = None
        if level != "LOG":
            continue
        if text.startswith("statement: "):
            yield pid, text[len("statement: "):]
        elif text.startswith("execute "):
            # `execute sqlx_s_3: SELECT ...` or `execute <unnamed>: ...`
            pending = (pid, text.split(": ", 1)[1])
    if pending:
        yield pending


def for_pgbench(sql):
    """The statement as pgbench reads it: pgbench takes `:name` for a variable even inside a
    string, so a literal with a colon before a letter (`'reading:meter:...'`) becomes an
    escape string with the colon as `\\x3a`; `--` comments (which may hold colons) go."""
    out, i = [], 0
    while i < len(sql):
        c = sql[i]
        if c == "'":
            j = i + 1
            while True:
                j = sql.index("'", j)
                if sql.startswith("''", j):
                    j += 2
                    continue
                break
            inner = sql[i + 1 : j]
            if re.search(r":[A-Za-z_\u0080-\U0010ffff]", inner) and not (out and out[-1] in "Ee"):
                out.append("E'" + inner.replace("\\", "\\\\").replace(":", "\\x3a") + "'")
            else:
                out.append(sql[i : j + 1])
            i = j + 1
        elif c == '"':
            j = sql.index('"', i + 1)
            out.append(sql[i : j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = len(sql) if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def windows(path, offset, database):
    """{(kind, n): [(pid, sql)]} between consecutive marks."""
    found, key = {}, None
    for pid, sql in statements(path, offset, database):
        mark = MARK.match(sql.strip())
        if mark:
            key = (mark.group("kind"), int(mark.group("n")))
            if key[0] != "end":
                found[key] = []
            continue
        if key and key[0] != "end":
            found[key].append((pid, sql.strip().rstrip(";").rstrip()))
    return found


def main(path, offset, database, outdir):
    found = windows(path, int(offset), database)
    background = {sql for (kind, _), sent in found.items() if kind == "idle" for _, sql in sent}
    background_shapes = {re.sub(r"'[^']*'", "?", sql) for sql in background}
    requests = defaultdict(list)
    for (kind, n), sent in sorted(found.items()):
        if kind == "idle":
            continue
        own = [(pid, sql) for pid, sql in sent if re.sub(r"'[^']*'", "?", sql) not in background_shapes]
        requests[kind].append((n, own))
    if not requests:
        sys.exit(f"capture.py: no marked request of {database} in {path} from byte {offset}")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "counts.tsv"), "w", encoding="utf-8") as counts, open(
        os.path.join(outdir, "explain.sql"), "w", encoding="utf-8"
    ) as explain:
        explain.write("\\set ON_ERROR_STOP on\n\\pset pager off\n")
        for kind, captured in sorted(requests.items()):
            sizes, controls, connections = [], [], []
            for n, sent in captured:
                if not sent:
                    sys.exit(f"capture.py: request {n} of {kind} sent no statement")
                with open(os.path.join(outdir, f"{kind}.{n}.sql"), "w", encoding="utf-8") as f:
                    for _, sql in sent:
                        f.write(for_pgbench(sql) + ";\n")
                sizes.append(len(sent))
                controls.append(sum(1 for _, sql in sent if CONTROL.match(sql)))
                connections.append(len({pid for pid, _ in sent}))
            counts.write(
                f"{kind}\t{len(captured)}\t{min(sizes)}\t{max(sizes)}\t{max(controls)}\t{max(connections)}\n"
            )
            first = captured[0][1]
            work = [sql for _, sql in first if not CONTROL.match(sql)]
            explain.write(f"\\echo '=== {kind}: the {len(work)} statements of one request, in order'\n")
            explain.write("BEGIN;\n")
            for i, sql in enumerate(work, 1):
                explain.write(f"\\echo '--- {kind}, statement {i} of {len(work)}'\n")
                explain.write(f"EXPLAIN (ANALYZE, BUFFERS)\n{sql};\n")
            explain.write("ROLLBACK;\n")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
