#!/usr/bin/python3
"""Side-by-side TCP echo benchmark: tide's echo server against the reference servers.

Runs each server (bench/echo/: raw epoll, raw liburing, Boost.Asio coroutines, libuv; tide's
examples/echo_server on each backend in task and fibre style) against one load generator,
tide's examples/echo_client, and compares the server's CPU time per round trip.

How one run goes: the server starts pinned to CPU 0 and prints `listening on 127.0.0.1:<port>`;
the client starts pinned to CPU 1, connects, warms up and prints `measuring`; at that moment
and again when the client prints its result line, the server's user+system time is read from
/proc/<pid>/stat, so CPU per round trip = that difference / the client's round trips, over
exactly the measured window. Once the client has exited, the server's peak RSS (VmHWM) is
read, the server is stopped with SIGTERM and must exit 0. Both sides get RLIMIT_NOFILE high
enough for 10,000 connections.

These 2-core machines drift by up to 30% from run to run (the team's measurement notes), so
each round runs every point on every server, the order of the servers rotates from round to
round, each point is repeated (--repeat, default 5), and the table compares medians. A ratio to
an anchor is the median over rounds of (anchor's us/rt / this server's us/rt) taken in the same
round, seconds apart: above 1 means this server spends less CPU per round trip.

Output (--out-dir, default build/bench/echo_compare): echo_compare.json (every run, so the
table and plot can be made again with --replot), echo_compare.md (per point: each server's
median us/rt, ratio to raw epoll and to the best anchor, rt/s, p50, p99, peak RSS) and
echo_compare.png (us/rt and peak RSS by connection count; needs matplotlib: Debian's
python3-matplotlib for /usr/bin/python3, installed here with apt-get when missing).

usage: bench/echo_compare.py [--build-dir build/bench] [--client PATH] [--servers a,b,...]
                             [--points 1000x1,...] [--repeat 5] [--duration 3] [--warmup 1]
                             [--quick] [--out-dir DIR] [--replot JSON]
"""
import argparse
import ctypes
import datetime
import fnmatch
import json
import math
import os
import platform
import random
import resource
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER_CPU, CLIENT_CPU = 0, 1
NOFILE = 16384  # 10,000 connections plus the loop's own descriptors, on each side
CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)

ANCHORS = ["raw-epoll", "raw-uring", "asio", "libuv"]

# name -> command line, relative to the build directory. raw-uring's buffers follow the
# traffic: 2 KiB for small messages, 64 KiB (128 of them) for the 64 KiB point, as
# the team's measurements advise (with 2 KiB buffers a 64 KiB message costs 8x).
SERVERS = {
    "raw-epoll": ["bench/echo_raw_epoll"],
    "raw-uring": ["bench/echo_raw_uring"],
    "asio": ["bench/echo_asio"],
    "libuv": ["bench/echo_uv"],
}
for backend in ("io_uring", "epoll", "poll"):
    for style in ("task", "fiber"):
        SERVERS[f"tide-{backend.replace('io_', '')}-{style}"] = [
            "examples/echo_server", "--backend", backend, "--style", style]
LARGE_MESSAGE_ARGS = {"raw-uring": ["--buffer-size", "65536", "--buffers", "128"]}
LARGE_MESSAGE = 16 * 1024

# (connections, in flight per connection, message bytes)
POINTS = [(c, k, 64) for c in (1, 100, 1000, 10000) for k in (1, 16)] + [(50, 1, 65536)]


def point_id(point):
    connections, in_flight, size = point
    return f"{connections}x{in_flight}" + ("" if size == 64 else f"@{size}")


def point_title(point):
    connections, in_flight, size = point
    size_text = f"{size // 1024} KiB" if size >= 1024 else f"{size} B"
    return f"{connections:,} connections x {in_flight} in flight, {size_text}"


class RunError(Exception):
    pass


def limit_and_pin(cpu):
    """preexec_fn for a child: pinned to one CPU, RLIMIT_NOFILE raised (we run as root here;
    without root the hard limit caps it)."""
    def apply():
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # no orphans if the harness dies
        os.sched_setaffinity(0, {cpu})
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, max(hard, NOFILE)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(NOFILE, hard), hard))
    return apply


def cpu_seconds(pid):
    """User+system CPU time of a process, all its threads (/proc/<pid>/stat fields 14, 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RunError("no VmHWM in /proc/%d/status" % pid)


def machine_busy_ticks():
    """Busy clock ticks of the whole machine so far (/proc/stat's first line)."""
    with open("/proc/stat") as f:
        ticks = [int(t) for t in f.readline().split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4]


def wait_for_quiet(max_cpus, timeout):
    """Waits (up to timeout seconds) for a second in which other processes used at most
    max_cpus of the machine; returns the seconds waited. Nothing of ours runs meanwhile."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        before = machine_busy_ticks()
        time.sleep(1.0)
        if (machine_busy_ticks() - before) / CLK_TCK <= max_cpus:
            break
    return time.monotonic() - start


class LineReader:
    """Reads a child's stdout line by line with a deadline."""

    def __init__(self, proc, what):
        self.proc, self.what, self.buffer = proc, what, b""
        self.selector = selectors.DefaultSelector()
        self.selector.register(proc.stdout, selectors.EVENT_READ)

    def line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                raise RunError(f"{self.what}: no output within {timeout:.0f} s")
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                raise RunError(f"{self.what} exited (status {self.proc.wait()}) before a line")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode().strip()


def stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def run_once(server_cmd, client_path, point, duration, warmup):
    """One measurement; returns a dict of what was measured, or raises RunError."""
    # The children's stderr goes to files (a pipe nobody reads could fill and stall them); an
    # error message quotes their last lines.
    server_log, client_log = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    server = subprocess.Popen(server_cmd + ["--host", "127.0.0.1", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=server_log,
                              preexec_fn=limit_and_pin(SERVER_CPU))
    try:
        return measure_once(server, client_log, client_path, point, duration, warmup)
    except RunError as error:
        for name, log in (("server", server_log), ("client", client_log)):
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-3:]
            if tail:
                error.args = (f"{error.args[0]} [{name}: {' / '.join(tail)}]",)
        raise
    finally:
        server_log.close()
        client_log.close()


def measure_once(server, client_log, client_path, point, duration, warmup):
    """run_once's body, once the server is started; stops server and client whatever happens."""
    connections, in_flight, size = point
    client = None
    try:
        ready = LineReader(server, "server").line(10)
        if not ready.startswith("listening on 127.0.0.1:"):
            raise RunError(f"server said {ready!r} instead of 'listening on 127.0.0.1:<port>'")
        port = ready.rsplit(":", 1)[1]
        client = subprocess.Popen(
            [client_path, "--host", "127.0.0.1", "--port", port, "--connections",
             str(connections), "--message-size", str(size), "--in-flight", str(in_flight),
             "--duration", str(duration), "--warmup", str(warmup)],
            stdout=subprocess.PIPE, stderr=client_log, preexec_fn=limit_and_pin(CLIENT_CPU))
        reader = LineReader(client, "client")
        # Connecting 10,000 sockets takes a few seconds before the warm-up starts.
        line = reader.line(60 + warmup)
        if line != "measuring":
            raise RunError(f"client said {line!r} instead of 'measuring'")
        cpu_start, client_start, busy_start, wall_start = (
            cpu_seconds(server.pid), cpu_seconds(client.pid), machine_busy_ticks(),
            time.monotonic())
        line = reader.line(duration + 30)
        cpu_end, client_end, busy_end, wall_end = (
            cpu_seconds(server.pid), cpu_seconds(client.pid), machine_busy_ticks(),
            time.monotonic())
        result = dict(field.split("=", 1) for field in line.split())
        if not {"round_trips", "rt_per_s", "p50_us", "p99_us", "errors"} <= result.keys():
            raise RunError(f"client's result line lacks fields: {line!r}")
        client_status = client.wait(timeout=60)
        if client_status != 0 or int(result["errors"]) != 0:
            raise RunError(f"client exited {client_status} with errors={result['errors']}")
        if server.poll() is not None:
            raise RunError(f"server died during the run (status {server.returncode})")
        rss = peak_rss_kib(server.pid)
        server.send_signal(signal.SIGTERM)
        server_status = server.wait(timeout=30)
        if server_status != 0:
            raise RunError(f"server exited {server_status} on SIGTERM")
        round_trips = int(result["round_trips"])
        if round_trips == 0:
            raise RunError("no round trips in the measured window")
        server_cpu = cpu_end - cpu_start
        wall = wall_end - wall_start
        # Whatever else ran meanwhile (other builds on this shared machine), in CPUs: the
        # machine's busy time less the server's and the client's.
        others = (busy_end - busy_start) / CLK_TCK - server_cpu - (client_end - client_start)
        return {
            "round_trips": round_trips,
            "seconds": float(result.get("seconds", wall)),
            "rt_per_s": float(result["rt_per_s"]),
            "p50_us": float(result["p50_us"]),
            "p99_us": float(result["p99_us"]),
            "p999_us": float(result.get("p999_us", "nan")),
            "server_cpu_s": server_cpu,
            "us_per_rt": server_cpu / round_trips * 1e6,
            "server_cpu_share": server_cpu / wall if wall > 0 else None,
            "others_cpus": max(0.0, others / wall) if wall > 0 else None,
            "peak_rss_kib": rss,
        }
    finally:
        if client is not None:
            stop(client)
        stop(server)


def select(names, patterns, what):
    if not patterns:
        return list(names)
    chosen = [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns.split(","))]
    if not chosen:
        sys.exit(f"--{what} {patterns!r} matches none of: {', '.join(names)}")
    return chosen


def measure(args):
    build = os.path.abspath(args.build_dir)
    client = args.client or os.path.join(build, "examples", "echo_client")
    if not os.access(client, os.X_OK):
        sys.exit(f"no load generator at {client} (build examples/echo_client or pass --client)")
    servers = []
    for name in select(SERVERS, args.servers, "servers"):
        path = os.path.join(build, SERVERS[name][0])
        if os.access(path, os.X_OK):
            servers.append(name)
        else:
            print(f"skipping {name}: {path} is not built", file=sys.stderr)
    points = [p for p in POINTS if point_id(p) in select([point_id(p) for p in POINTS],
                                                         args.points, "points")]
    data = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]),
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "git": subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip(),
        "client": os.path.relpath(client, REPO),
        "duration": args.duration, "warmup": args.warmup, "repeat": args.repeat,
        "max_others": args.max_others, "attempts": args.attempts,
        "servers": {name: SERVERS[name] for name in servers},
        "large_message_args": LARGE_MESSAGE_ARGS,
        "runs": [],
    }
    total = args.repeat * len(points) * len(servers)
    done = 0
    for round_index in range(args.repeat):
        for point in points:
            # Rotate the order every round, so that no server always runs first (or right
            # after the same neighbour).
            shift = round_index % len(servers)
            for name in servers[shift:] + servers[:shift]:
                command = [os.path.join(build, SERVERS[name][0])] + SERVERS[name][1:]
                if point[2] >= LARGE_MESSAGE:
                    command += LARGE_MESSAGE_ARGS.get(name, [])
                run = {"server": name, "point": point_id(point), "round": round_index}
                try:
                    # Other work on this shared machine takes a core from server or client:
                    # such a run is made again (up to --attempts in all) after a pause.
                    waited = 0.0
                    for attempt in range(args.attempts):
                        if attempt > 0 or args.quiet_wait_first:
                            waited += wait_for_quiet(args.max_others, args.max_wait)
                        measured = run_once(command, client, point, args.duration, args.warmup)
                        if measured["others_cpus"] <= args.max_others:
                            break
                    run.update(measured, attempts=attempt + 1, waited_s=round(waited, 1))
                    summary = (f"{run['us_per_rt']:.2f} us/rt  {run['rt_per_s']:,.0f} rt/s  "
                               f"p99 {run['p99_us']:.0f} us  {run['peak_rss_kib'] / 1024:.1f} MiB")
                except (RunError, subprocess.TimeoutExpired, OSError) as error:
                    run["error"] = str(error)
                    summary = f"FAILED: {error}"
                data["runs"].append(run)
                done += 1
                print(f"[{done}/{total}] round {round_index + 1} {point_id(point):>10} "
                      f"{name:<17} {summary}", file=sys.stderr, flush=True)
    return data


# ---- summary ------------------------------------------------------------------------------

def log_median(values):
    """Median on a log scale (the geometric mean of the middle two when the count is even)."""
    values = sorted(values)
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return math.sqrt(values[middle - 1] * values[middle])


def summarize(data):
    """{point: {server: stats}} with medians over rounds and per-round ratios to anchors."""
    by_key = {}
    for run in data["runs"]:
        if "error" not in run:
            by_key.setdefault((run["point"], run["server"]), {})[run["round"]] = run
    summary = {}
    for point in dict.fromkeys(run["point"] for run in data["runs"]):
        rows = {}
        for server in data["servers"]:
            runs = by_key.get((point, server), {})
            failed = sum(1 for r in data["runs"]
                         if r["point"] == point and r["server"] == server and "error" in r)
            if not runs:
                if failed:
                    rows[server] = {"failed": failed}
                continue
            values = lambda key: [r[key] for r in runs.values()]
            rows[server] = {
                "n": len(runs), "failed": failed,
                "us_per_rt": statistics.median(values("us_per_rt")),
                "rt_per_s": statistics.median(values("rt_per_s")),
                "p50_us": statistics.median(values("p50_us")),
                "p99_us": statistics.median(values("p99_us")),
                "peak_rss_mib": statistics.median(values("peak_rss_kib")) / 1024,
                "server_cpu_share": statistics.median(values("server_cpu_share")),
            }
        anchors = [a for a in ANCHORS if "us_per_rt" in rows.get(a, {})]
        best = min(anchors, key=lambda a: rows[a]["us_per_rt"]) if anchors else None

        def ratio(anchor, server):
            pairs = [by_key[(point, anchor)][r]["us_per_rt"] / run["us_per_rt"]
                     for r, run in by_key.get((point, server), {}).items()
                     if r in by_key.get((point, anchor), {})]
            return log_median(pairs)

        for server, row in rows.items():
            if "us_per_rt" not in row:
                continue
            if "us_per_rt" in rows.get("raw-epoll", {}):
                row["vs_raw_epoll"] = ratio("raw-epoll", server)
            if best:
                row["vs_best_anchor"] = ratio(best, server)
        summary[point] = {"best_anchor": best, "rows": rows}
    return summary


def markdown(data, summary):
    titles = {point_id(p): point_title(p) for p in POINTS}
    out = [
        "# Echo benchmark: server CPU per round trip",
        "",
        f"Run {data['date']} on kernel {data['kernel']} ({data['cpus']} CPUs), tide at "
        f"{data['git']}; server on CPU 0, load generator (`{data['client']}`) on CPU 1; "
        f"{data['warmup']} s warm-up, {data['duration']} s measured, {data['repeat']} rounds "
        "with the server order rotated each round.",
        "",
        "Reproduce:",
        "",
        f"    {data['command']}",
        "",
        "us/rt: the server's user+system CPU time over the measured window / round trips "
        "(median over rounds). Ratios: median over rounds of anchor's us/rt / this server's "
        "us/rt in the same round; above 1 = less CPU than the anchor. rt/s, p50, p99 (client "
        "side) and peak RSS (VmHWM) are medians over rounds. Server CPU: share of its core "
        "the server used (100% = the server was the bottleneck).",
        "",
    ]
    others = sorted(run["others_cpus"] for run in data["runs"] if "others_cpus" in run)
    if others:
        busy = sum(1 for o in others if o > data.get("max_others", 0.3))
        out += [f"Other processes on the machine used {statistics.median(others):.2f} CPUs "
                f"(median over runs; max {others[-1]:.2f}) during the measured windows; "
                f"{busy} of {len(others)} runs saw more than {data.get('max_others', 0.3)}.", ""]
    if data.get("large_message_args"):
        notes = "; ".join(f"{name} runs with `{' '.join(args)}`"
                          for name, args in data["large_message_args"].items()
                          if name in data["servers"])
        if notes:
            out += [f"At the 64 KiB point {notes} (buffers sized to the traffic).", ""]
    servers = [name for name in data["servers"]
               if any("us_per_rt" in info["rows"].get(name, {}) for info in summary.values())]
    out += ["## Overview: us/rt (raw epoll's us/rt / this server's, median over rounds)", "",
            "| server | " + " | ".join(summary) + " |",
            "|---|" + "---|" * len(summary)]
    for name in servers:
        cells = []
        for info in summary.values():
            row = info["rows"].get(name, {})
            if "us_per_rt" not in row:
                cells.append("-")
            elif row.get("vs_raw_epoll") is None:
                cells.append(f"{row['us_per_rt']:.2f}")
            else:
                cells.append(f"{row['us_per_rt']:.2f} ({row['vs_raw_epoll']:.2f})")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "Point ids: connections x messages in flight per connection, 64 B messages "
            "unless @bytes.", ""]
    for point, info in summary.items():
        best = info["best_anchor"]
        out += [f"## {titles.get(point, point)}", "",
                f"| server | us/rt | vs raw epoll | vs best anchor ({best or '-'}) | rt/s | "
                "p50 us | p99 us | peak RSS MiB | server CPU |",
                "|---|---|---|---|---|---|---|---|---|"]
        for server, row in info["rows"].items():
            if "us_per_rt" not in row:
                out.append(f"| {server} | failed ({row['failed']} runs) | | | | | | | |")
                continue
            fmt = lambda v: "-" if v is None else f"{v:.2f}"
            note = f" ({row['n']} runs, {row['failed']} failed)" if row["failed"] else ""
            out.append(
                f"| {server}{note} | {row['us_per_rt']:.2f} | {fmt(row.get('vs_raw_epoll'))} | "
                f"{fmt(row.get('vs_best_anchor'))} | {row['rt_per_s']:,.0f} | "
                f"{row['p50_us']:.0f} | {row['p99_us']:.0f} | {row['peak_rss_mib']:.1f} | "
                f"{row['server_cpu_share'] * 100:.0f}% |")
        out.append("")
    return "\n".join(out)


def plot(data, summary, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [p for p in POINTS if point_id(p) in summary and p[2] == 64]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    panels = [(axes[0], 1, "us_per_rt", "server CPU per round trip (us), 1 in flight"),
              (axes[1], 16, "us_per_rt", "server CPU per round trip (us), 16 in flight"),
              (axes[2], 1, "peak_rss_mib", "server peak RSS (MiB), 1 in flight")]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, in_flight, key, title in panels:
        for index, server in enumerate(data["servers"]):
            xs, ys = [], []
            for p in points:
                row = summary[point_id(p)]["rows"].get(server, {})
                if p[1] == in_flight and key in row:
                    xs.append(p[0])
                    ys.append(row[key])
            if xs:
                style = "--" if server in ANCHORS else ("-." if "fiber" in server else "-")
                ax.plot(xs, ys, marker="o", label=server, linestyle=style,
                        color=colors[index % len(colors)])
        ax.set_xscale("log")
        ax.set_xlabel("connections (64 B messages)")
        ax.set_title(title)
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize="small")
    fig.suptitle(f"TCP echo, server on one core, load generator on the other ({data['date']}, "
                 f"median of {data['repeat']} rounds)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_outputs(data, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, "echo_compare")
    with open(base + ".json", "w") as f:
        json.dump(data, f, indent=1)
    summary = summarize(data)
    with open(base + ".md", "w") as f:
        f.write(markdown(data, summary))
    print(markdown(data, summary))
    try:
        plot(data, summary, base + ".png")
    except ImportError:
        plot_with_debian_python(base + ".json", out_dir)
    print(f"wrote {base}.json, .md, .png", file=sys.stderr)


def plot_with_debian_python(json_path, out_dir):
    """matplotlib is missing from this interpreter (the pyenv one): plot with /usr/bin/python3,
    installing Debian's python3-matplotlib first when needed."""
    system_python = "/usr/bin/python3"
    has = subprocess.run([system_python, "-c", "import matplotlib"],
                         capture_output=True).returncode == 0
    if not has:
        print("installing python3-matplotlib for the plot", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "python3-matplotlib"], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run([system_python, os.path.abspath(__file__), "--replot", json_path,
                    "--out-dir", out_dir, "--plot-only"], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build", "bench"))
    parser.add_argument("--client", help="load generator (default: <build>/examples/echo_client)")
    parser.add_argument("--servers", help=f"comma-separated names or globs of: {', '.join(SERVERS)}")
    parser.add_argument("--points", help="comma-separated ids or globs of: " +
                        ", ".join(point_id(p) for p in POINTS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--duration", type=float, default=3.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--max-others", type=float, default=0.3,
                        help="run again when other processes used more CPUs than this")
    parser.add_argument("--attempts", type=int, default=3,
                        help="runs of one measurement at most, while others are too busy; "
                        "before each repeat, wait for a quiet second (up to --max-wait s)")
    parser.add_argument("--max-wait", type=float, default=30.0)
    parser.add_argument("--quiet-wait-first", action="store_true",
                        help="wait for a quiet second before every run, not only repeats")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 round, 1 s measured, 0.5 s warm-up")
    parser.add_argument("--out-dir", default=os.path.join(REPO, "build", "bench", "echo_compare"))
    parser.add_argument("--replot", metavar="JSON", help="remake table and plot from a run")
    parser.add_argument("--plot-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.duration, args.warmup = 1, 1.0, 0.5

    if args.replot:
        with open(args.replot) as f:
            data = json.load(f)
        if args.plot_only:
            plot(data, summarize(data), os.path.join(args.out_dir, "echo_compare.png"))
            return
    else:
        data = measure(args)
    write_outputs(data, args.out_dir)


if __name__ == "__main__":
    main()
