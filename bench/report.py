"""The one table `make bench` prints (and writes to var/bench/last.txt)."""

import time

LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
NOT_BUILT = "n/a (not benchmarked yet)"
NOISY = 0.25  # as bench.run.NOISY


def num(value, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def ms(p50, p99=None) -> str:
    if p99 is None:
        return num(p50)
    return f"{num(p50)} / {num(p99)}"


def at_least(value, target) -> str:
    if value is None:
        return "-"
    return "met" if value >= target else f"missed by {(1 - value / target) * 100:.0f}%"


def below(value, limit, *, inclusive=False) -> str:
    if value is None:
        return "-"
    if value < limit or (inclusive and value <= limit):
        return "met"
    return f"missed by {(value / limit - 1) * 100:.0f}%"


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def get(result: dict, *keys):
    for key in keys:
        if not isinstance(result, dict) or key not in result:
            return None
        result = result[key]
    return result


def flag(r: dict, *keys) -> str:
    """A star on a figure measured while other processes took a real share of the CPU."""
    use = get(r, *keys, "cpu") or {}
    return "*" if use.get("other", 0.0) > NOISY else ""


def spread(rates) -> str:
    if not rates or len(rates) < 2:
        return ""
    return f" ({num(min(rates))}-{num(max(rates))})"


def growth_cell(r: dict, n: int) -> str:
    if get(r, "growth", n) is None:
        return "-"
    if get(r, "growth", n, "p50") is None and get(r, "growth", n, "unmeasured"):
        late = sum(get(r, "growth", n, "unmeasured").values())
        return f"stalled: nothing completed in the window ({late} failed after it)"
    errors = get(r, "growth", n, "errors")
    return (
        ms(get(r, "growth", n, "p50"), get(r, "growth", n, "page_p50"))
        + flag(r, "growth", n)
        + (f" ({num(errors)} errors)" if errors else "")
    )


def export_cell(r: dict, kind: str) -> str:
    figures = get(r, "export", kind)
    if not figures:
        return "-"
    return (
        f"{num(figures['seconds'], 1)} s / {num(figures['peak_mb'])} MB{flag(r, 'export', kind)}"
        + (
            f" ({num(min(figures['times']), 1)}-{num(max(figures['times']), 1)} s)"
            if len(figures.get("times", [])) > 1
            else ""
        )
    )


def export_verdict(r: dict) -> str:
    """Met, or by how much each of the CSV's two targets (20 s, 200 MB) is missed."""
    seconds, peak = get(r, "export", "csv", "seconds"), get(r, "export", "csv", "peak_mb")
    if seconds is None:
        return "-"
    missed = [
        f"{what} missed by {(value / limit - 1) * 100:.0f}%"
        for what, value, limit in (("time", seconds, 20), ("memory", peak, 200))
        if value >= limit
    ]
    return "; ".join(missed) or "met"


def ratio_row(rows: list, results: dict) -> None:
    s = get(results["sqlite"], "sign", 64, "rate")
    p = get(results["postgres"], "sign", 64, "rate")
    ratio = p / s if s and p else None
    rows.append((
        "  PostgreSQL ÷ SQLite, 64 browsers",
        {"sqlite": ("", ""), "postgres": (num(ratio, 2) + "×", at_least(ratio, 1.0))},
        "≥ 1.00× (at least as fast)",
    ))  # fmt: skip


def render(cfg, machine: dict, results: dict, errors: dict, took: float) -> str:
    dbs = [db for db in ("sqlite", "postgres") if db in results]
    rows: list[tuple] = []  # (label, {db: (value, verdict)} or None for a heading, target)

    def add(label: str, cell, target: str = "") -> None:
        """`cell(result)` gives (value, verdict) for one database's results."""
        rows.append((label, {db: cell(results[db]) for db in dbs}, target))

    def heading(title: str) -> None:
        rows.append((title, None, ""))

    reps = f", median of {cfg.repeat}" if cfg.repeat > 1 else ""
    for c in (16, 64, 256):
        top = c == 64
        heading(f"sign, {c} concurrent browsers, worker running")
        add(
            f"  signatures stored/s (in the DB){reps if top else ''}",
            lambda r, c=c, top=top: (
                num(get(r, "sign", c, "rate"))
                + flag(r, "sign", c)
                + spread(get(r, "sign", c, "rates")),
                at_least(get(r, "sign", c, "rate"), 1000) if top else "",
            ),
            "≥ 1,000/s" if top else "",
        )
        add(
            "  sign POST p50 / p99 (ms)",
            lambda r, c=c, top=top: (
                ms(get(r, "sign", c, "p50"), get(r, "sign", c, "p99")),
                below(get(r, "sign", c, "p99"), 250) if top else "",
            ),
            "p99 < 250 ms" if top else "",
        )
        add(
            "  page GET p50 / p99 (ms)",
            lambda r, c=c: (ms(get(r, "sign", c, "page_p50"), get(r, "sign", c, "page_p99")), ""),
        )
        add("  errors", lambda r, c=c: (num(get(r, "sign", c, "errors")), ""))
        if top and len(dbs) == 2:
            ratio_row(rows, results)
    heading("ceiling: minimal WSGI app, 1 INSERT per POST, same server and workers, 64 browsers")
    add(
        f"  rows stored/s{reps}",
        lambda r: (
            num(get(r, "ceiling", "rate"))
            + flag(r, "ceiling")
            + spread(get(r, "ceiling", "rates")),
            "",
        ),
    )
    add(
        "  POST p50 / p99 (ms)",
        lambda r: (ms(get(r, "ceiling", "p50"), get(r, "ceiling", "p99")), ""),
    )

    def fraction(r):
        c, s = get(r, "ceiling", "rate"), get(r, "sign", 64, "rate")
        return (f"{s / c * 100:.0f}% of ceiling" if c and s else "-", "")

    add("  Outcry sign rate (64 browsers) ÷ ceiling", fraction)

    heading("read while 64 browsers sign (+ 64 page readers, 16 count-JSON pollers)")
    add(
        "  petition page views/s (readers + signers)",
        lambda r: (
            f"{num(get(r, 'read', 'page_rate'))}{flag(r, 'read')}"
            f" ({num(get(r, 'read', 'reader_rate'))} readers)",
            at_least(get(r, "read", "page_rate"), 3000),
        ),
        "≥ 3,000/s",
    )
    add(
        "  reader page p50 / p99 (ms)",
        lambda r: (ms(get(r, "read", "page_p50"), get(r, "read", "page_p99")), ""),
    )
    add("  count-JSON requests/s", lambda r: (num(get(r, "read", "count_rate")), ""))
    add(
        "  count-JSON p50 / p99 (ms)",
        lambda r: (ms(get(r, "read", "count_p50"), get(r, "read", "count_p99")), ""),
    )
    add("  signatures stored/s meanwhile", lambda r: (num(get(r, "read", "sign_rate")), ""))
    add("  errors", lambda r: (num(get(r, "read", "errors")), ""))

    heading("confirm, 64 concurrent browsers (GET the link's page, POST its button)")
    add(
        "  confirmations/s (in the DB)",
        lambda r: (num(get(r, "confirm", "rate")) + flag(r, "confirm"), ""),
    )
    add(
        "  confirm POST p50 / p99 (ms)",
        lambda r: (ms(get(r, "confirm", "p50"), get(r, "confirm", "p99")), ""),
    )
    add("  errors", lambda r: (num(get(r, "confirm", "errors")), ""))
    add(
        "  count JSON behind the DB while confirming, max (s)",
        lambda r: (
            num(get(r, "fresh", "lag"), 1),
            below(get(r, "fresh", "lag"), 10, inclusive=True),
        ),
        "≤ 10 s",
    )
    add(
        "  largest gap DB - count JSON (signatures)",
        lambda r: (
            f"{num(get(r, 'fresh', 'gap'))} ({num(get(r, 'fresh', 'samples'))} samples)",
            "",
        ),
    )

    heading(f"growth: confirmed signatures already on the petition, 16 browsers{reps}")
    sizes = sorted({n for db in dbs for n in (get(results[db], "growth") or {})})
    for n in sizes:
        add(
            f"  {n:,}: sign p50 / page p50 (ms)",
            lambda r, n=n: (growth_cell(r, n), ""),
        )
    for n in sizes[1:]:
        add(
            f"  {n:,}: bulk load / reconcile (s)",
            lambda r, n=n: (
                f"{num(get(r, 'growth', n, 'load_s'), 1)} / "
                f"{num(get(r, 'growth', n, 'reconcile_s'), 1)}",
                "",
            ),
        )

    def growth_verdict(r):
        base, top = get(r, "growth", 0, "p50"), get(r, "growth", 5_000_000, "p50")
        star = flag(r, "growth", 0) or flag(r, "growth", 5_000_000 if top else 1_000_000)
        if base and top:
            change = f"{(top / base - 1) * 100:+.0f}%{star}"
            return (change, below(top, base * 1.2, inclusive=True))
        one = get(r, "growth", 1_000_000, "p50")
        if base and one:
            return (f"{(one / base - 1) * 100:+.0f}%{star} at 1M", "5M needs BENCH_FULL=1")
        return ("-", "-")

    add("  sign p50 change, 0 → 5M", growth_verdict, "within 20%")

    heading("outbox: e-mail delivered to a local SMTP server (aiosmtpd, own process)")
    for n in (1, 2):
        add(
            f"  e-mails/s, {n} worker{'s' if n > 1 else ''}",
            lambda r, n=n: (num(get(r, "outbox", n, "rate")) + flag(r, "outbox", n), ""),
        )

    heading(
        f"export: 1M confirmed signatures, each export in its own process{reps};"
        " peak memory = its VmHWM"
    )
    add(
        "  signature CSV (streamed): time / peak memory",
        lambda r: (export_cell(r, "csv"), export_verdict(r)),
        "< 20 s and < 200 MB",
    )
    add("  delivery PDF: time / peak memory", lambda r: (export_cell(r, "pdf"), ""))
    add(
        "  bulk load of the 1M signatures (s)",
        lambda r: (num(get(r, "export", "load_s"), 1), ""),
    )

    return header(cfg, machine, results, errors, took) + table(rows, dbs) + notes(results)


def header(cfg, machine, results, errors, took) -> str:
    per_db = ", ".join(
        f"{LABELS[db]} {duration(results[db]['seconds'])}"
        for db in ("sqlite", "postgres")
        if db in results and "seconds" in results[db]
    )
    versions = "; ".join(
        results[db]["version"] for db in ("sqlite", "postgres") if "version" in results.get(db, {})
    )
    lines = [
        f"Outcry benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"machine    {machine['cores']} cores, {machine['cpu']}, "
        f"{machine['memory_gib']:.1f} GiB RAM, Linux {machine['kernel']}, "
        f"Python {machine['python']}, Django {machine['django']}",
        f"server     outcry serve: {machine['web_server']} (gunicorn {machine['gunicorn']}, "
        f"granian {machine['granian']}), {cfg.web_workers} workers × "
        f"{cfg.web_threads} thread(s), DEBUG off; one outcry worker (local mailbox) "
        "except in the outbox phase",
        f"load       one asyncio process ({machine['loop']}, minimal HTTP/1.1 client) on the "
        "same cores; closed loop, no think time; a browser = GET page (cookie + form token), "
        "POST the form with Referer; a new visitor each time",
        f"phases     {cfg.seconds:g} s measured after {cfg.warmup:g} s warm-up; rates counted in "
        "the database over that window; latencies of the requests started in it",
        f"databases  {versions or '-'}",
        "settings   "
        + ", ".join(f"{k}={v}" for k, v in cfg.bench_settings.items())
        + " (browsers post at once, each from its own address); every organisation "
        "allow-lists the browsers' domain, bench.example; everything else as shipped",
        f"took       {duration(took)}" + (f" ({per_db})" if per_db else ""),
    ]
    others = [
        use.get("other", 0.0)
        for db in ("sqlite", "postgres")
        for use in results.get(db, {}).get("cpu", {}).values()
    ]
    if others:
        worst = max(others)
        lines.append(
            f"noise      other processes used {sorted(others)[len(others) // 2]:.2f} cores "
            f"(median), {worst:.2f} at worst, in the measured windows"
            + (": figures in busy windows are low" if worst > 0.25 else ": a quiet machine")
        )
    if errors:
        lines.append("FAILED     " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    return "\n".join(lines) + "\n\n"


def table(rows, dbs) -> str:
    head = ["", *[c for db in dbs for c in (LABELS[db], "")], "target"]
    body = []
    for label, cells, target in rows:
        if cells is None:
            body.append([label])
            continue
        line = [label]
        for db in dbs:
            value, verdict = cells.get(db, ("", ""))
            line += [value, verdict]
        line.append(target)
        body.append(line)
    widths = [0] * len(head)
    for line in [head, *[b for b in body if len(b) > 1]]:
        for i, cell in enumerate(line):
            widths[i] = max(widths[i], len(cell))
    out = []
    for line in [head, *body]:
        if len(line) == 1:
            out.append(line[0])
        else:
            out.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    rule = "-" * max(len(x) for x in out)
    foot = (
        f"* measured while other processes on the machine used more than {NOISY} cores;"
        " medians leave such runs out when a quiet run exists"
    )
    return "\n".join([out[0], rule, *out[1:], rule, foot]) + "\n"


def notes(results) -> str:
    lines = ["", "Where the CPU went (cores, averaged over each measured window):"]
    for db in ("sqlite", "postgres"):
        if db not in results:
            continue
        for phase, use in results[db].get("cpu", {}).items():
            if phase.startswith(("sign@64", "read", "confirm", "ceiling", "outbox", "growth")):
                lines.append(f"  {LABELS[db]:<10} {phase:<12} {describe(use)}")
        for kind in ("csv", "pdf"):
            if use := get(results[db], "export", kind, "cpu"):
                lines.append(f"  {LABELS[db]:<10} {'export ' + kind:<12} {describe(use)}")
    problems = []
    for db in ("sqlite", "postgres"):
        r = results.get(db, {})
        for phase, error in r.get("failed", {}).items():
            problems.append(f"  {LABELS.get(db, db)}: {phase} phase FAILED: {error}")
        for note in r.get("notes", []):
            problems.append(f"  {LABELS[db]}: {note}")
        kinds = {}
        for key in ("read", "confirm", "ceiling"):
            kinds.update({f"{key}: {k}": v for k, v in (get(r, key, "kinds") or {}).items()})
        for n, step in (get(r, "growth") or {}).items():
            kinds.update({f"growth@{n:,}: {k}": v for k, v in step.get("kinds", {}).items()})
            late = {
                f"growth@{n:,} after the window: {k}": v
                for k, v in step.get("unmeasured", {}).items()
            }
            if step.get("p50") is None:
                kinds.update(late)
        for c in (16, 64, 256):
            kinds.update(
                {f"sign@{c}: {k}": v for k, v in (get(r, "sign", c, "kinds") or {}).items()}
            )
        if kinds:
            problems.append(
                f"  {LABELS[db]} errors: " + ", ".join(f"{k} ×{v}" for k, v in kinds.items())
            )
        for key, what in ((("sign", 64), "sign, 64 browsers"), (("ceiling",), "ceiling")):
            if get(r, *key, "discarded"):
                problems.append(
                    f"  {LABELS[db]} {what}: {get(r, *key, 'discarded')} disturbed run(s) "
                    "left out of the median"
                )
        sent, sink = get(r, "outbox", "sent"), get(r, "outbox", "sink")
        if sent is not None:
            problems.append(
                f"  {LABELS[db]} outbox: {num(sink)} messages reached the SMTP server, "
                f"{num(get(r, 'outbox', 'failed'))} failed"
            )
    if problems:
        lines += ["", "Notes:", *problems]
    return "\n".join(lines) + "\n"


def describe(use: dict) -> str:
    parts = [f"{k} {v:.2f}" for k, v in use.items() if k not in ("busy", "other") and v >= 0.005]
    parts.append(f"other {use.get('other', 0):.2f}")
    return f"{use.get('busy', 0):.2f} busy = " + ", ".join(parts)
