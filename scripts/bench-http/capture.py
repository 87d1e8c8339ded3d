#!/usr/bin/env python3
"""The statements the server sent, read from PostgreSQL's log (scripts/bench-http.sh).

capture.py LOG OFFSET DATABASE OUTDIR KIND...

LOG is PostgreSQL's log from byte OFFSET on, written with `log_statement = 'all'` for DATABASE
and a `log_line_prefix` of `%m [%p] %q%u@%d ` (Debian's default: the time, the backend's pid,
the user and the database). The benchmark marks the log with statements of its own,
`SELECT 'bench-mark|KIND|N'` before each captured request of KIND and `SELECT
'bench-mark|end|0'` after the last, and `bench-mark|idle|0` before a pause without requests:
what the server sent during the pause is its background work (the SMS sender looks every
second), and statements of that shape are left out of the requests.

Writes into OUTDIR:
- counts.tsv: per KIND, the requests captured, the statements of one (least and most), of
  them transaction control (BEGIN, COMMIT...), and the most backend connections one used;
- explain.sql: every statement of the first request of each KIND, its parameters written in,
  under EXPLAIN (ANALYZE, BUFFERS), the request in one transaction that is rolled back;
- for each KIND given on the command line, the pgbench side: KIND.sql, one script of the
  server's very statements with its parameters as pgbench variables (`-M prepared` prepares
  each statement once per connection, as the server's pool does), a branch per request shape
  (the same statements, with NULL in the same parameters: an account with two meters sends
  more than one with one); a table of the captured parameters (params.sql creates and fills
  it), from which each pgbench client takes one captured request's (client_id modulo their
  number), once, at its first transaction (`\\gset`), and runs that request's shape: clients
  work on different rows, as the server's requests do; KIND.args, pgbench's arguments.
"""

import os
import re
import sys
from collections import defaultdict

PREFIX = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(?P<pid>\d+)\] (?P<who>\S*) ?(?P<level>[A-Z]+):  (?P<text>.*)$"
)
MARK = re.compile(r"^SELECT 'bench-mark\|(?P<kind>[a-z_]+)\|(?P<n>\d+)'$")
CONTROL = re.compile(
    r"^(BEGIN|COMMIT|ROLLBACK|START|SAVEPOINT|RELEASE|SET|RESET|DEALLOCATE|DISCARD)\b", re.I
)
PARAMETER = re.compile(r"\$(\d+)\b")


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
                if match.group("who").endswith("@" + database):
                    current = [match.group("pid"), match.group("level"), match.group("text")]
                else:
                    current = None
            elif current is not None:
                # PostgreSQL writes a tab after each newline of a message.
                current[2] += "\n" + (line[1:] if line.startswith("\t") else line)
        if current:
            yield current


def parse_parameters(text):
    """`$1 = 'a''b', $2 = NULL` -> {1: "'a''b'", 2: "NULL"}: each value as SQL literal text."""
    params, i = {}, 0
    head = re.compile(r"\$(\d+) = ")
    while i < len(text):
        match = head.match(text, i)
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
    """(pid, statement as sent, {n: literal}) of every statement, marks included."""
    pending = None  # an executed statement whose parameters may follow on a DETAIL line
    for pid, level, text in entries(path, offset, database):
        if level == "DETAIL" and text.startswith("parameters: ") and pending and pending[0] == pid:
            yield pid, pending[1], parse_parameters(text[len("parameters: ") :])
            pending = None
            continue
        if pending:
            yield pending[0], pending[1], {}
            pending = None
        if level != "LOG":
            continue
        if text.startswith("statement: "):
            yield pid, text[len("statement: ") :], {}
        elif text.startswith("execute "):
            # `execute sqlx_s_3: SELECT ...` or `execute <unnamed>: ...`
            pending = (pid, text.split(": ", 1)[1])
    if pending:
        yield pending[0], pending[1], {}


def clean(sql):
    return sql.strip().rstrip(";").rstrip()


def with_literals(sql, params):
    """The statement with its parameters written in (for EXPLAIN)."""
    return PARAMETER.sub(lambda m: params.get(int(m.group(1)), m.group(0)), sql)


def without_comments(sql):
    """The statement without `--` comments (pgbench would read `:name` in one as a variable)."""
    out, i = [], 0
    while i < len(sql):
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while True:
                j = sql.index(c, j)
                if sql.startswith(c * 2, j):
                    j += 2
                    continue
                break
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
    """{(kind, n): [(pid, sql, params)]} between consecutive marks."""
    found, key = {}, None
    for pid, sql, params in statements(path, offset, database):
        mark = MARK.match(clean(sql))
        if mark:
            key = (mark.group("kind"), int(mark.group("n")))
            if key[0] != "end":
                found[key] = []
            continue
        if key and key[0] != "end":
            found[key].append((pid, clean(sql), params))
    return found


def shape_of(sent):
    """What makes two requests one pgbench script: the statements, and which parameters are
    NULL (pgbench variables are never NULL, so a NULL stays written in)."""
    return tuple(
        (sql, tuple(sorted(n for n, v in params.items() if v == "NULL"))) for _, sql, params in sent
    )


def pgbench_side(kind, captured, outdir, params_sql):
    """The script, parameter table and arguments of pgbench for the requests of KIND: one
    script with a branch per request shape; each client runs the shape of its own request."""
    shapes, requests = [], []  # distinct shapes; (shape number, values by column) per request
    for _, sent in captured:
        shape = shape_of(sent)
        if shape not in shapes:
            shapes.append(shape)
        s = shapes.index(shape) + 1
        requests.append(
            (
                s,
                {
                    f"p{s}_{j}_{n}": value
                    for j, (_, _, params) in enumerate(sent, 1)
                    for n, value in sorted(params.items())
                    if value != "NULL"
                },
            )
        )
    columns = list(dict.fromkeys(c for _, values in requests for c in values))
    table, prefix = f"bench_{kind}", f"{kind}_"
    params_sql.write(f"DROP TABLE IF EXISTS {table};\n")
    params_sql.write(
        f"CREATE UNLOGGED TABLE {table} (i integer PRIMARY KEY, shape integer NOT NULL"
        + "".join(f", {c} text" for c in columns)
        + ");\n"
    )
    for i, (s, values) in enumerate(requests):
        row = [str(i), str(s), *(values.get(c, "NULL") for c in columns)]
        params_sql.write(f"INSERT INTO {table} VALUES ({', '.join(row)});\n")
    script = os.path.join(outdir, f"{kind}.sql")
    with open(script, "w", encoding="utf-8") as f:
        f.write(f"\\if :{prefix}loaded = 0\n")
        f.write(
            f"SELECT *, 1 AS loaded FROM {table} WHERE i = :client_id % {len(requests)} \\gset {prefix}\n"
        )
        f.write("\\endif\n")
        for s, shape in enumerate(shapes, 1):
            f.write(f"\\{'if' if s == 1 else 'elif'} :{prefix}shape = {s}\n")
            for j, (sql, nulls) in enumerate(shape, 1):
                text = PARAMETER.sub(
                    lambda m, s=s, j=j, nulls=nulls: "NULL"
                    if int(m.group(1)) in nulls
                    else f":{prefix}p{s}_{j}_{m.group(1)}",
                    without_comments(sql),
                )
                f.write(text + ";\n")
        f.write("\\endif\n")
    with open(os.path.join(outdir, f"{kind}.args"), "w", encoding="utf-8") as f:
        f.write(f"-f{script}\n-D{prefix}loaded=0\n")
    return len(shapes)


def main(path, offset, database, outdir, *benched):
    found = windows(path, int(offset), database)

    def shape(sql):
        return re.sub(r"'[^']*'", "?", sql)

    background = {shape(sql) for (kind, _), sent in found.items() if kind == "idle" for _, sql, _ in sent}
    requests = defaultdict(list)
    for (kind, n), sent in sorted(found.items()):
        if kind != "idle":
            requests[kind].append((n, [x for x in sent if shape(x[1]) not in background]))
    if not requests:
        sys.exit(f"capture.py: no marked request of {database} in {path} from byte {offset}")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "counts.tsv"), "w", encoding="utf-8") as counts, open(
        os.path.join(outdir, "explain.sql"), "w", encoding="utf-8"
    ) as explain, open(os.path.join(outdir, "params.sql"), "w", encoding="utf-8") as params_sql:
        # A statement that fails when run again (a login's session, whose digest is taken
        # now) shows its error and the rest go on: psql rolls back to a savepoint before each.
        explain.write("\\set ON_ERROR_ROLLBACK on\n\\pset pager off\n")
        for kind, captured in sorted(requests.items()):
            for n, sent in captured:
                if not sent:
                    sys.exit(f"capture.py: request {n} of {kind} sent no statement")
            sizes = [len(sent) for _, sent in captured]
            controls = [sum(1 for _, sql, _ in sent if CONTROL.match(sql)) for _, sent in captured]
            connections = [len({pid for pid, _, _ in sent}) for _, sent in captured]
            shapes = pgbench_side(kind, captured, outdir, params_sql) if kind in benched else 0
            counts.write(
                f"{kind}\t{len(captured)}\t{min(sizes)}\t{max(sizes)}\t{max(controls)}\t{max(connections)}\t{shapes}\n"
            )
            work = [with_literals(sql, p) for _, sql, p in captured[0][1] if not CONTROL.match(sql)]
            explain.write(f"\\echo '=== {kind}: the {len(work)} statements of one request, in order'\n")
            explain.write("BEGIN;\n")
            for i, sql in enumerate(work, 1):
                explain.write(f"\\echo '--- {kind}, statement {i} of {len(work)}'\n")
                explain.write(f"EXPLAIN (ANALYZE, BUFFERS)\n{sql};\n")
            explain.write("ROLLBACK;\n")


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
