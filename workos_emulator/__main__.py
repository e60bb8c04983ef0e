"""python -m workos_emulator --port 4100 --seed workos_emulator/demo.yaml"""

import argparse
import contextlib
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from workos_emulator.areas.control import parse_latency
from workos_emulator.server import EmulatorServer


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m workos_emulator", description="A local WorkOS API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4100)
    parser.add_argument("--seed", type=Path, help="YAML or JSON seed file (users, organizations, connections...)")
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="keep the state in FILE: loaded at start when it exists (the seed is then not applied), "
        "written after every change",
    )
    parser.add_argument(
        "--app-url",
        default="http://127.0.0.1:8000",
        help="the application's origin: replaces {app_url} (and {app_url_localhost}, the same on localhost) "
        "in the seed (default: %(default)s)",
    )
    parser.add_argument(
        "--webhook",
        metavar="URL",
        help="deliver every event, signed, to URL (the only webhook endpoint unless the seed names others)",
    )
    parser.add_argument(
        "--webhook-secret",
        metavar="SECRET",
        help="the secret signing --webhook deliveries (default: a new random one, printed)",
    )
    parser.add_argument("--auto", metavar="EMAIL", help="sign in as EMAIL at once instead of showing the hosted page")
    parser.add_argument(
        "--latency",
        metavar="[PATH=]MS[~JITTER]",
        action="append",
        default=[],
        help="answer slowly, as WorkOS across the internet does: MS milliseconds (plus up to JITTER) on every API "
        "route, or on the routes matching the glob PATH; repeatable (also POST /_emulator/latency)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    try:
        latency = [parse_latency(spec) for spec in args.latency]
    except ValueError as exc:
        parser.error(f"--latency: {exc}")

    resumed = bool(args.state and args.state.exists())
    try:
        server = EmulatorServer(args.host, args.port, quiet=args.quiet, state_file=args.state)
    except OSError as exc:
        sys.exit(f"workos_emulator: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    except ValueError as exc:
        sys.exit(f"workos_emulator: cannot load state file {args.state}: {exc}")
    if args.seed and not resumed:
        try:
            text = args.seed.read_text()
            app_url = args.app_url.rstrip("/")
            localhost = (
                urlsplit(app_url)
                ._replace(netloc=f"localhost:{urlsplit(app_url).port}" if urlsplit(app_url).port else "localhost")
                .geturl()
            )
            data = yaml.safe_load(text.replace("{app_url_localhost}", localhost).replace("{app_url}", app_url)) or {}
        except (OSError, yaml.YAMLError, ValueError) as exc:
            sys.exit(f"workos_emulator: cannot read seed file {args.seed}: {exc}")
        server.store.seed(data)
        server.app.save_state()
    webhook = None
    if args.webhook and not any(e["endpoint_url"] == args.webhook for e in server.store.webhook_endpoints.values()):
        with server.store.lock:
            webhook = server.store.add_webhook_endpoint(args.webhook, args.webhook_secret)
        server.app.save_state()
    if latency:
        with server.store.lock:
            server.store.start_latency = tuple(reversed(latency))  # the last given wins, like POSTed rules
            server.store.latency = list(server.store.start_latency)
    if args.auto:
        server.store.auto_login = args.auto
    store = server.store
    print(f"WorkOS emulator on {server.url}", flush=True)
    print(
        f"  WORKOS_BASE_URL={server.url}  WORKOS_API_KEY={store.api_key}  WORKOS_CLIENT_ID={store.client_id}",
        flush=True,
    )
    if args.state:
        print(f"  state {'resumed from' if resumed else 'kept in'} {args.state}", flush=True)
    print(
        f"  {len(store.users)} users, {len(store.organizations)} organizations, {len(store.connections)} connections",
        flush=True,
    )
    for rule in latency:
        print(
            f"  answers on {rule['path']} delayed by {rule['ms']} ms"
            + (f" plus up to {rule['jitter_ms']} ms" if rule["jitter_ms"] else ""),
            flush=True,
        )
    if webhook:
        shown = "the one given" if args.webhook_secret else webhook["secret"]
        print(f"  webhooks to {webhook['endpoint_url']} signed with {shown}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
