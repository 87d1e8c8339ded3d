#!/usr/bin/env python3
"""The data of the HTTP benchmark (scripts/bench-http.sh), standard library only.

plan REGISTRY COUNT OUTDIR
    From a registry file of `generate-registry`, picks COUNT accounts with meters, spread over
    the file, and writes OUTDIR/plan.tsv (account, its meters, a value for each) and
    OUTDIR/anonymous.tsv (every other meter and a value). A value is the registry's last
    reading plus 1 m³ (1 m³ without one): above the previous reading, below every cap.

register BASE_URL OUTBOX PLAN PASSWORD OUT
    Registers one subscriber per plan row through the API (POST /auth/registration, the code
    from the SMS outbox file, POST /auth/registration/confirm) and links the row's account
    (POST /accounts). Writes OUT: phone, token, account, meters, values (tab-separated).
    The server must trust 127.0.0.1 as a proxy: each registration comes from an address of
    its own (X-Forwarded-For), as in tests/src/load.rs.
"""

import csv
import json
import re
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal


def fail(message):
    print(f"subscribers.py: {message}", file=sys.stderr)
    sys.exit(1)


def value_after(last):
    """The value a benchmark reading gives: the last reading plus 1 m³, three decimals."""
    base = Decimal(last) if last else Decimal(0)
    return f"{base + 1:.3f}"


def plan(registry, count, outdir):
    accounts = []  # (account, [(meter, value)]) in file order
    with open(registry, newline="", encoding="utf-8-sig") as f:
        rows = csv.DictReader(f, delimiter=";")
        for row in rows:
            account, meter = row["account_number"], row["meter_number"]
            if not accounts or accounts[-1][0] != account:
                accounts.append((account, []))
            if meter:
                accounts[-1][1].append((meter, value_after(row["last_reading"])))
    with_meters = [a for a in accounts if a[1]]
    if len(with_meters) < count:
        fail(f"{registry} has {len(with_meters)} accounts with meters, {count} wanted")
    step = len(with_meters) // count
    chosen = with_meters[::step][:count]
    taken = {account for account, _ in chosen}
    with open(f"{outdir}/plan.tsv", "w", encoding="utf-8") as out:
        for account, meters in chosen:
            out.write(
                f"{account}\t{','.join(m for m, _ in meters)}\t{','.join(v for _, v in meters)}\n"
            )
    anonymous = 0
    with open(f"{outdir}/anonymous.tsv", "w", encoding="utf-8") as out:
        for account, meters in with_meters:
            if account in taken:
                continue
            for meter, value in meters:
                out.write(f"{meter}\t{value}\n")
                anonymous += 1
    meters = sum(len(m) for _, m in chosen)
    print(f"   plan: {len(chosen)} subscribers' accounts ({meters} meters), {anonymous} other meters")


def call(base, method, path, body, token=None, forwarded=None):
    """One JSON request: (status, parsed body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    if forwarded:
        request.add_header("x-forwarded-for", forwarded)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def expect(status, wanted, what):
    if status[0] != wanted:
        fail(f"{what}: HTTP {status[0]} (wanted {wanted}): {status[1]}")
    return status[1]


def codes_in(outbox):
    """The last registration code of each phone in the outbox file."""
    found = {}
    try:
        with open(outbox, encoding="utf-8") as f:
            for line in f:
                sms = json.loads(line)
                match = re.search(r": (\d{6})", sms["text"])
                if match:
                    found[sms["to"]] = match.group(1)
    except FileNotFoundError:
        pass
    return found


def register(base, outbox, plan_file, password, out):
    with open(plan_file, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    phones = [f"+79160{i:06d}" for i in range(len(rows))]
    api = base.rstrip("/") + "/api/v1"

    def request_code(i):
        expect(
            call(
                api,
                "POST",
                "/auth/registration",
                {"phone": phones[i], "email": f"bench{i}@example.ru", "consent_personal_data": True},
                forwarded=f"10.251.{i // 256}.{i % 256}",
            ),
            202,
            f"registration of subscriber {i}",
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(request_code, range(len(rows))))
    deadline = time.monotonic() + 120
    while True:
        codes = codes_in(outbox)
        missing = [p for p in phones if p not in codes]
        if not missing:
            break
        if time.monotonic() > deadline:
            fail(f"no SMS code for {len(missing)} phones in {outbox} within 120 s")
        time.sleep(0.2)

    def confirm(i):
        answer = expect(
            call(
                api,
                "POST",
                "/auth/registration/confirm",
                {"phone": phones[i], "code": codes[phones[i]], "password": password},
            ),
            201,
            f"confirmation of subscriber {i}",
        )
        return answer["token"]

    # The hasher has a thread per core and a queue of 16 per thread: 4 at once never fill it.
    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(confirm, range(len(rows))))

    def link(i):
        account, meters = rows[i][0], rows[i][1].split(",")
        expect(
            call(
                api,
                "POST",
                "/accounts",
                {"account_number": account, "meter_last4": meters[0][-4:], "label": "Дом"},
                token=tokens[i],
            ),
            201,
            f"link of account {account}",
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(link, range(len(rows))))
    with open(out, "w", encoding="utf-8") as f:
        for phone, token, row in zip(phones, tokens, rows):
            f.write("\t".join([phone, token, *row]) + "\n")
    print(f"   {len(rows)} subscribers registered through the API, each with a linked account")


def main(argv):
    if len(argv) == 5 and argv[1] == "plan":
        plan(argv[2], int(argv[3]), argv[4])
    elif len(argv) == 7 and argv[1] == "register":
        register(*argv[2:])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv)
