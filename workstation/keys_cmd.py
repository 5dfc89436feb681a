"""`workstation keys set|list|delete VENUE [--account NAME]`: API keys into and out of the keyring."""

from __future__ import annotations

import argparse
import getpass
import sys



def _keys(args: argparse.Namespace) -> int:
    from . import credentials

    try:
        if args.action == "list":
            rows = credentials.entries()
            if not rows:
                print("no keys stored; add some with `workstation keys set VENUE`")
            for venue, account, present in rows:
                print(f"{venue:20} {account:12} {', '.join(present) or '(empty)'}")
            return 0
        if not args.venue:
            print(f"workstation keys {args.action}: name the venue, e.g. `workstation keys {args.action} binance_testnet`",
                  file=sys.stderr)
            return 2
        if args.action == "delete":
            removed = credentials.delete(args.venue, args.account)
            print(f"removed {removed} secret(s) for {args.venue}/{args.account}")
            return 0
        values = {}
        copilot = args.venue == "copilot"  # an LLM endpoint takes one bearer key, no secret
        prompts = (("api_key", "API key"),) if copilot else (
            ("api_key", "API key"), ("secret", "API secret"),
            ("passphrase", "passphrase (leave empty if the venue has none)"))
        for name, label in prompts:
            values[name] = getpass.getpass(f"{args.venue}/{args.account} {label}: ")
        if not values["api_key"] or not (copilot or values["secret"]):
            needed = "an API key is" if copilot else "an API key and a secret are both"
            print(f"{needed} needed; nothing stored", file=sys.stderr)
            return 2
        credentials.store(args.venue, args.account, values)
        print(f"stored in the system keyring as {credentials.SERVICE} / {args.venue}:{args.account}:*")
        return 0
    except credentials.CredentialsError as exc:
        print(f"workstation keys: {exc}", file=sys.stderr)
        return 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="store, list or delete API keys in the system keyring")
    p.add_argument("action", choices=("set", "list", "delete"))
    p.add_argument("venue", nargs="?", help="the venue's name as in [venues.NAME], or 'copilot'")
    p.add_argument("--account", default="main", help="account name (default: main)")
    p.set_defaults(func=_keys)
