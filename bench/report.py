"""The benchmark's printed tables, its targets, and the saved JSON with the change since last run."""

import json
import os
import statistics
from datetime import UTC, datetime

DISTINCT = "20,000 distinct tokens"


def _cell(http, server, tokens, name):
    return http[f"{server}|{tokens}|{name}"]


def paired_ratio(http, a, b):
    """The median over repeats of a's req/s over b's in the same round: the two were measured
    minutes apart at most, so the machine's drift between rounds cancels out."""
    return statistics.median(x / y for x, y in zip(http[a]["rps_samples"], http[b]["rps_samples"], strict=True))


def metrics_cost(http):
    """/api/auth/me's rate with metrics on over metrics off, same server configuration."""
    me = "Gatehouse /api/auth/me"
    return paired_ratio(http, f"metrics|many|{me}", f"shipped|many|{me}")


def targets(results):
    """(what, measured, target, met) for every target of the benchmark."""
    http, inproc = results["http"], results["inprocess"]
    me, bare, stateless = "Gatehouse /api/auth/me", "bare Django view", "simplejwt stateless"

    def ratio(tokens, a, b):
        return paired_ratio(http, f"shipped|{tokens}|{a}", f"shipped|{tokens}|{b}")

    verify = inproc["verification_us"]
    speedup = verify["simplejwt AccessToken(...)"] / verify["Gatehouse verify_access"]
    existing, new = inproc["callback"]["existing user"], inproc["callback"]["new user"]
    small, large = inproc["sync"][0], inproc["sync"][-1]
    growth = (large["seconds"] / large["connections"]) / (small["seconds"] / small["connections"])
    requests_linear = (
        large["workos_requests"] / large["connections"] <= small["workos_requests"] / small["connections"] * 1.05
    )
    queries_linear = large["queries"] / large["connections"] <= small["queries"] / small["connections"] * 1.05
    spread = inproc["password_ms"]["spread_pct"]
    rows = [
        (
            f"/api/auth/me vs bare, {DISTINCT}",
            f"{ratio('many', me, bare):.2f}x",
            ">= 0.90x",
            ratio("many", me, bare) >= 0.90,
        ),
        (
            f"/api/auth/me vs simplejwt stateless, {DISTINCT}",
            f"{ratio('many', me, stateless):.2f}x",
            ">= 1.30x",
            ratio("many", me, stateless) >= 1.30,
        ),
        (
            "/api/auth/me vs bare, one token",
            f"{ratio('one', me, bare):.2f}x",
            ">= 0.95x",
            ratio("one", me, bare) >= 0.95,
        ),
        ("/api/auth/me queries", str(inproc["me_queries"]), "0", inproc["me_queries"] == 0),
        (
            f"/api/auth/me, metrics on vs off, {DISTINCT}",
            f"{metrics_cost(http):.2f}x",
            ">= 0.97x",
            metrics_cost(http) >= 0.97,
        ),
        ("token verification, uncached, vs simplejwt", f"{speedup:.1f}x cheaper", ">= 3x", speedup >= 3),
        (
            "callback, existing user",
            f"{existing['workos_calls']} call, {existing['queries']} q, {existing['server_ms']:.2f} ms",
            "1 call, <= 3 q, <= 5 ms",
            existing["workos_calls"] == 1 and existing["queries"] <= 3 and existing["server_ms"] <= 5,
        ),
        ("callback, new user", f"{new['workos_calls']} call, {new['queries']} q", "<= 8 q", new["queries"] <= 8),
        (
            f"SSO sync of {large['connections']:,} connections",
            f"{large['seconds']:.1f} s",
            "< 15 s",
            large["seconds"] < 15,
        ),
        (
            "SSO sync linear (time, requests, queries per connection)",
            f"time x{growth:.2f}, requests {'=' if requests_linear else '>'}, queries {'=' if queries_linear else '>'}",
            "x <= 1.25",
            growth <= 1.25 and requests_linear and queries_linear,
        ),
        ("password sign-in: right / wrong / unknown agree", f"{spread:.1f} %", "<= 10 %", spread <= 10),
    ]
    if "storm" in results:
        rows += storm_targets(results["storm"])
    return rows


def storm_targets(storm):
    """The sign-in storm's targets, on the shipped setup (bench.storm)."""
    shipped, latency = storm["setups"]["shipped"], storm["latency_ms"]
    rows = []
    for kind in ("callbacks", "refreshes"):
        row = shipped["rows"][f"{kind}|200"]
        rows.append((f"storm: 200 concurrent {kind}, errors", str(row["errors"]), "0", row["errors"] == 0))
        rows.append(
            (
                f"storm: /api/auth/me p99 during 200 {kind}",
                f"{row['me_p99_ms']:.0f} ms",
                "<= 100 ms",
                row["me_p99_ms"] is not None and row["me_p99_ms"] <= 100,
            )
        )
        calm = shipped["rows"][f"{kind}|50"]
        rows.append(
            (
                f"storm: 50 concurrent {kind}, p99",
                f"{calm['p99_ms']:.0f} ms",
                f"<= {4 * latency} ms (4x WorkOS)",
                calm["p99_ms"] is not None and calm["p99_ms"] <= 4 * latency,
            )
        )
    ratio = shipped["rows"]["callbacks|200"]["ratio"]
    rows.append(("storm: 200 concurrent callbacks, x their limit", f"{ratio:.2f}x", ">= 0.70x", ratio >= 0.70))
    peak = shipped["peak_mb"]
    rows.append(("storm: app processes at peak", f"{peak:.0f} MB", "<= 600 MB", peak <= 600))
    return rows


def print_tables(results):
    http, inproc, m, db = results["http"], results["inprocess"], results["machine"], results["database"]
    s = results["settings"]
    print(
        f"\nGatehouse benchmarks on {m['cpu']} ({m['cores']} cores, {m['memory_gb']} GB), {m['os']}, Python {m['python']}, {db['vendor']} {db['version']}"
    )
    print(
        f"wrk -t2 -c{s['connections']}, median of {s['repeats']} interleaved {s['duration']} s windows per row; {s['workers']} gunicorn workers each\n"
    )
    names = ("bare Django view", "Gatehouse /api/auth/me", "simplejwt stateless")
    print(f"{'shipped gunicorn.conf.py':28} {'one token':^33}   {DISTINCT:^44}")
    print(
        f"{'':28} {'req/s':>8} {'p99 ms':>8} {'x bare':>7} {'errors':>7}   {'req/s':>8} {'p99 ms':>8} {'x bare':>7} {'x stateless':>11} {'errors':>7}"
    )
    for name in names:
        one, many = _cell(http, "shipped", "one", name), _cell(http, "shipped", "many", name)
        x_bare_one = paired_ratio(http, f"shipped|one|{name}", f"shipped|one|{names[0]}")
        x_bare_many = paired_ratio(http, f"shipped|many|{name}", f"shipped|many|{names[0]}")
        x_stateless = paired_ratio(http, f"shipped|many|{name}", f"shipped|many|{names[2]}")
        print(
            f"{name:28} {one['rps']:8.0f} {one['p99_ms']:8.2f} {x_bare_one:7.2f} {one['errors']:7}   "
            f"{many['rps']:8.0f} {many['p99_ms']:8.2f} {x_bare_many:7.2f} {x_stateless:11.2f} {many['errors']:7}"
        )
    print("  (req/s and p99: medians of the windows; ratios: medians of each round's ratio)")
    print(
        f"\n{'server, ' + DISTINCT:42} {'req/s':>8} {'p99 ms':>8}   {'req/s':>8} {'p99 ms':>8}   {'shipped/sync':>12}"
    )
    print(f"{'':42} {'sync workers':^17}   {'shipped config':^17}")
    for name in names[:2]:
        sync, shipped = _cell(http, "sync", "many", name), _cell(http, "shipped", "many", name)
        ratio = paired_ratio(http, f"shipped|many|{name}", f"sync|many|{name}")
        print(
            f"{name:42} {sync['rps']:8.0f} {sync['p99_ms']:8.2f}   {shipped['rps']:8.0f} {shipped['p99_ms']:8.2f}   {ratio:12.2f}"
        )

    on = _cell(http, "metrics", "many", names[1])
    print(
        f"{'Gatehouse /api/auth/me, metrics on':42} {'':8} {'':8}   {on['rps']:8.0f} {on['p99_ms']:8.2f}   "
        f"{metrics_cost(http):12.2f} x metrics off (no scraper)"
    )

    print("\nOne request through Django without a server (us, median of interleaved rounds)")
    decomposition = inproc["decomposition_us"]
    bare = decomposition["bare Django view"]
    for name, us in decomposition.items():
        print(f"  {name:48} {us:8.1f} us   {bare / us:5.2f}x bare")
    print("Verifying one access token not seen before (us)")
    verify = inproc["verification_us"]
    for name, us in verify.items():
        print(f"  {name:48} {us:8.2f} us   {verify['simplejwt AccessToken(...)'] / us:5.2f}x cheaper than simplejwt")

    print("\nUnified WorkOS callback through Django's WSGI handler (server time excludes waiting on WorkOS;")
    print("queries exclude BEGIN/COMMIT/SAVEPOINT; the two cases interleaved)")
    print(
        f"  {'case':20} {'median ms':>10} {'p10 ms':>7} {'p90 ms':>7} {'samples':>8} {'WorkOS calls':>13} {'DB queries':>11}"
    )
    for case in ("existing user", "new user"):
        row = inproc["callback"][case]
        spread = (
            f"{row['p10_ms']:7.2f} {row['p90_ms']:7.2f} {row['samples']:8}"
            if "p10_ms" in row
            else f"{'':7} {'':7} {'':8}"
        )
        print(f"  {case:20} {row['server_ms']:10.2f} {spread} {row['workos_calls']:13} {row['queries']:11}")
    if "database_ms" in inproc:
        db = inproc["database_ms"]
        print(
            f"  this database: a round trip (SELECT 1) {db['round_trip_ms']:.2f} ms, an update and its commit {db['write_and_commit_ms']:.2f} ms"
        )
    pw = inproc["password_ms"]
    print(f"\nPassword sign-in (median ms of {pw['samples']} interleaved samples each)")
    for case in ("right password", "wrong password", "unknown email"):
        print(f"  {case:20} {pw[case]:8.2f}")
    print(f"  spread (max/min - 1): {pw['spread_pct']:.1f} %")
    print("\nJWKS fetches per 1,000 verified tokens (target: 1 per cache period)")
    for name, count in inproc["jwks"].items():
        print(f"  {name:32} {count}")
    print("\nSSO sync against the emulator")
    print(
        f"  {'connections':>12} {'seconds':>8} {'ms/1k':>8} {'WorkOS req':>11} {'req/1k':>7} {'queries':>8} {'q/1k':>6}"
    )
    for row in inproc["sync"]:
        k = row["connections"] / 1000
        print(
            f"  {row['connections']:12,} {row['seconds']:8.2f} {row['seconds'] * 1000 / k:8.1f} {row['workos_requests']:11} {row['workos_requests'] / k:7.1f} {row['queries']:8} {row['queries'] / k:6.1f}"
        )

    if "storm" in results:
        print()
        print(storm_table(results["storm"]["setups"], results["storm"]["latency_ms"]))

    print("\nTargets")
    for what, measured, target, met in targets(results):
        print(f"  {'met    ' if met else 'MISSED '} {what:58} {measured:32} target {target}")


def storm_table(results, latency_ms):
    """bench.storm's rows: each setup's storms, CPU per request by process, peak memory."""
    lines = [
        f"Sign-in storms, WorkOS answering after {latency_ms} ms ({os.cpu_count()} cores)",
        f"{'setup':<24} {'storm':<16} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'CPU ms':>6} {'limit':>6} {'ratio':>5} {'/me p99 ms':>10}",
    ]
    for name, setup in results.items():
        for key, row in setup["rows"].items():
            kind, concurrency = key.split("|")
            lines.append(
                f"{name:<24} {f'{concurrency} {kind}':<16} {row['rps']:>7.1f} {row['p50_ms'] or 0:>7.0f} "
                f"{row['p99_ms'] or 0:>7.0f} {row['errors']:>6} {row['cpu_ms']:>6.1f} {row['limit_rps']:>6.0f} "
                f"{row['ratio']:>5.2f} {row['me_p99_ms'] or 0:>10.0f}"
                + (f"  (idle {row['me_idle_p99_ms']:.0f})" if "me_idle_p99_ms" in row else "")
            )
            lines.append(
                f"{'':<24} CPU ms per request: "
                + ", ".join(f"{part} {ms:.1f}" for part, ms in row["cpu_ms_by_part"].items())
                + f", other {row['cpu_ms'] - sum(row['cpu_ms_by_part'].values()):.1f}"
            )
            for sample in row["error_sample"]:
                lines.append(f"{'':<24} error: {sample}")
        lines.append(f"{name:<24} peak memory of the app's processes: {setup['peak_mb']:.0f} MB")
    return "\n".join(lines)


def headline(results):
    """The numbers compared from run to run: (name, value, higher is better)."""
    http, inproc = results["http"], results["inprocess"]
    out = [(f"{key.replace('|', ' ')} req/s", row["rps"], True) for key, row in http.items()]
    out += [(f"{name} us", us, False) for name, us in inproc["decomposition_us"].items()]
    out += [(f"verify: {name} us", us, False) for name, us in inproc["verification_us"].items()]
    out += [(f"callback {case} ms", row["server_ms"], False) for case, row in inproc["callback"].items()]
    out += [(f"sync {row['connections']:,} s", row["seconds"], False) for row in inproc["sync"]]
    out += [("password spread %", inproc["password_ms"]["spread_pct"], False)]
    for name, setup in results.get("storm", {}).get("setups", {}).items():
        out += [(f"storm {name} {key.replace('|', ' ')} req/s", row["rps"], True) for key, row in setup["rows"].items()]
    return out


def report(results, directory):
    print_tables(results)
    results["targets"] = [{"what": w, "measured": m, "target": t, "met": ok} for w, m, t, ok in targets(results)]
    vendor = results["database"]["vendor"]
    earlier = sorted(directory.glob(f"bench-{vendor}-*.json"))
    if earlier:
        previous = json.loads(earlier[-1].read_text())
        try:
            before = {name: value for name, value, _ in headline(previous)}
        except (KeyError, TypeError, IndexError):
            before = {}
        if before:
            print(f"\nChange since {earlier[-1].name}")
            for name, value, higher_better in headline(results):
                if before.get(name):
                    change = (value / before[name] - 1) * 100
                    better = (change > 0) == higher_better
                    print(
                        f"  {name:62} {before[name]:10.2f} -> {value:10.2f}  {change:+6.1f} % {'better' if better else 'worse'}"
                    )
    path = directory / f"bench-{vendor}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nSaved {path.relative_to(directory.parent)}")
