"""The referee: every figure compares the Desk with the venue's own records, or with the Desk rebuilt
from its journal alone; never with the Desk's own belief.

Inputs at each check: a snapshot of the live Desk (from its process), the journal read up to the very
event the snapshot was taken at, the venue's records (facts.py) and the trader's decisions (intents.py).
Checks run while the faults continue (``converge=False``: only what must hold at every instant, since
a stream may lag) and after the faults pause and the Desk has refreshed (``converge=True``: everything
must agree). Each invariant counts distinct things (an order, a trade, a currency), so a difference
seen at ten checks counts once; the first few of each kind are kept, with the venue's record beside the
Desk's, for the report.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .facts import ZERO, VenueFacts
from .intents import Intents
from .journal_view import JournalView
from .views import REPLAYED

INVARIANTS = ("duplicates", "lost_fills", "double_counted_fills", "illegal_transitions", "drift_after_converge",
              "status_mismatch", "fill_owner_mismatch", "balance_drift", "journal_replay_mismatch",
              "open_after_kill", "overfill", "fill_terms_mismatch", "sent_before_reconcile", "false_in_sync")
COUNTED = tuple(k for k in INVARIANTS if k not in ("illegal_transitions", "drift_after_converge"))
NEVER_SENT = {"pending_approval", "denied", "declined", "emulated", "rejected"}
WORKING = {"new", "open", "partially_filled", "in_doubt"}
TERMINAL_AT_VENUE = {"filled", "canceled", "expired"}
EXAMPLES = 6


@dataclass
class DeskState:
    """The live Desk as its snapshots showed it (merged: a snapshot carries what changed)."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    fills: dict[str, dict[str, Any]] = field(default_factory=dict)
    unmatched: set[str] = field(default_factory=set)
    positions: dict[str, Decimal] = field(default_factory=dict)
    balances: dict[str, Decimal] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)

    def apply(self, snapshot: dict[str, Any]) -> None:
        if snapshot["full"]:
            self.orders, self.fills = {}, {}
        self.orders.update(snapshot["orders"])
        self.fills.update((f["trade_id"], f) for f in snapshot["fills"])
        self.unmatched = set(snapshot["unmatched"])
        self.positions = dict(snapshot["positions"])
        self.balances = dict(snapshot["balances"])
        self.status = {k: snapshot.get(k) for k in ("ready", "state", "reconcile", "text", "in_doubt", "illegal")}


class Referee:
    def __init__(self, intents: Intents, journal: JournalView, initial_balances: dict[str, Decimal],
                 venue: str = "paper"):
        self.intents, self.journal, self.initial, self.venue = intents, journal, initial_balances, venue
        self.desk = DeskState()
        self.found: dict[str, set[str]] = {name: set() for name in COUNTED}
        self.examples: dict[str, list[str]] = defaultdict(list)
        self.checks = Counter()

    def note(self, invariant: str, key: str, text: str) -> None:
        seen = self.found[invariant]
        if key in seen:
            return
        seen.add(key)
        if len(self.examples[invariant]) < EXAMPLES:
            self.examples[invariant].append(text)

    def counts(self) -> dict[str, int]:
        return {name: len(keys) for name, keys in self.found.items()}

    # -- a check --------------------------------------------------------------------------------
    def check(self, snapshot: dict[str, Any], facts: VenueFacts, converge: bool = False) -> list[str]:
        """Apply a snapshot, read the journal to the same event, compare, count. ``converge``: the faults
        have paused and the Desk has refreshed, so everything must agree; returns the drift left."""
        self.checks["converge" if converge else "live"] += 1
        self._apply(snapshot)
        self._replay(snapshot)
        self._fills(facts, converge)
        self._orders(facts, converge, snapshot["orders"].keys())
        self._duplicates(facts)
        self._overfill(facts)
        if not converge:
            return []
        balances = self._balances(facts)
        for key, text in balances:
            self.note("balance_drift", key, text)
        drift = self._drift(facts) + [text for _, text in balances]
        if drift and self.desk.status.get("reconcile") == "in_sync":
            self.note("false_in_sync", f"check{sum(self.checks.values())}",
                      f"the Desk said 'in sync' ({self.desk.status.get('text')}) with {len(drift)} difference(s) "
                      f"from the venue, e.g. {drift[0]}")
        return drift

    def drift(self, snapshot: dict[str, Any], facts: VenueFacts) -> list[str]:
        """Every difference between the Desk and the venue, counting nothing: while converging."""
        self._apply(snapshot)
        return self._drift(facts) + [text for _, text in self._balances(facts)]

    def _apply(self, snapshot: dict[str, Any]) -> None:
        self.desk.apply(snapshot)
        self.journal.read_to(snapshot["seq"])

    # -- the Desk against its own journal ---------------------------------------------------------
    def _replay(self, snapshot: dict[str, Any]) -> None:
        journal, desk = self.journal, self.desk
        for cid, live in snapshot["orders"].items():
            replayed = journal.orders.get(cid)
            if replayed is None:
                self.note("journal_replay_mismatch", f"order:{cid}",
                          f"{cid}: live {live['status']}, not in the journal")
                continue
            for name in REPLAYED:
                if live[name] != replayed[name]:
                    self.note("journal_replay_mismatch", f"order:{cid}:{name}",
                              f"{cid} {name}: live {live[name]!r}, journal {replayed[name]!r}")
        for tid in desk.fills.keys() - journal.fills.keys():
            self.note("journal_replay_mismatch", f"fill:{tid}", f"fill {tid}: live, not in the journal")
        if snapshot["full"]:
            for tid in journal.fills.keys() - desk.fills.keys():
                self.note("journal_replay_mismatch", f"fill:{tid}", f"fill {tid}: in the journal, not live")
        for symbol in set(desk.positions) | {f["symbol"] for f in journal.fills.values()}:
            live, replayed = desk.positions.get(symbol, ZERO), journal.position(symbol)
            if live != replayed:
                self.note("journal_replay_mismatch", f"position:{symbol}:{live}:{replayed}",
                          f"position {symbol}: live {live}, journal {replayed}")
        for tid in desk.unmatched ^ journal.unmatched():
            where = "live" if tid in desk.unmatched else "journal"
            self.note("journal_replay_mismatch", f"unmatched:{tid}:{where}",
                      f"fill {tid} unmatched in the {where} Desk only")
        state = journal.trading_state.get(self.venue, "active")
        if desk.status.get("state") != state:
            self.note("journal_replay_mismatch", f"state:{state}:{desk.status.get('state')}",
                      f"trading state: live {desk.status.get('state')}, journal {state}")

    # -- fills --------------------------------------------------------------------------------------
    def _owner_key(self, view: dict[str, Any], facts: VenueFacts) -> str:
        """Whose order this Desk order is, in the venue's terms: our client order id when a create_order of
        ours carried it (or the trader staged it); otherwise (an order someone else placed, adopted here)
        whoever placed the venue order the Desk holds it under."""
        cid = view["cid"]
        if cid in facts.chains or cid in self.journal.replaces:
            return cid
        vid = view.get("venue_order_id")
        if vid and vid in facts.orders:
            return facts.orders[vid].owner
        return cid if cid in self.intents else f"desk:{cid}"

    def _fills(self, facts: VenueFacts, converge: bool) -> None:
        desk = self.desk
        held: dict[str, list[str]] = defaultdict(list)
        for cid, view in desk.orders.items():
            for tid in view["trade_ids"]:
                held[tid].append(cid)
        for tid, fill in desk.fills.items():
            trade = facts.trades.get(tid)
            if trade is None:
                self.note("double_counted_fills", f"phantom:{tid}",
                          f"fill {tid} ({fill['cid']}): not a trade at the venue")
                continue
            theirs = (trade.price, trade.amount, trade.fee, trade.fee_currency, trade.side, trade.symbol)
            ours = (fill["price"], fill["amount"], fill["fee"], fill["fee_currency"], fill["side"], fill["symbol"])
            if theirs != ours:
                self.note("fill_terms_mismatch", tid, f"fill {tid}: Desk {ours}, venue {theirs}")
            owners = held.get(tid, [])
            if len(owners) > 1:
                self.note("double_counted_fills", f"multi:{tid}", f"trade {tid} counted by {', '.join(owners)}")
            for cid in owners:
                mine = self._owner_key(desk.orders[cid], facts)
                if mine != trade.owner:
                    self.note("fill_owner_mismatch", tid, f"trade {tid} (venue order {trade.venue_order_id} of "
                              f"{trade.owner}) is attributed to {cid} ({desk.orders[cid]['status']})")
            if converge and not owners and self._ours(trade.owner):
                self.note("fill_owner_mismatch", tid, f"trade {tid} of our order {trade.owner} (venue order "
                          f"{trade.venue_order_id}) is held by no order (unmatched)")
        if converge:
            for tid, trade in facts.trades.items():
                if tid not in desk.fills:
                    self.note("lost_fills", tid, f"venue trade {tid} ({trade.side} {trade.amount} {trade.symbol} "
                              f"@ {trade.price}, order {trade.venue_order_id} of {trade.owner}) never reached the Desk")

    def _ours(self, owner: str) -> bool:
        return owner in self.intents or owner in self.journal.replaces

    # -- orders -------------------------------------------------------------------------------------
    def _orders(self, facts: VenueFacts, converge: bool, changed: Any) -> None:
        """Live: only what must hold at every instant, for the orders the snapshot carried (changed or
        working): a terminal status the venue contradicts, an order sent that the Desk says was not, more
        filled than the venue filled. Converged: status, filled and average price of every order."""
        orders = self.desk.orders if converge else {c: self.desk.orders[c] for c in changed}
        for cid, view in orders.items():
            owner = self._owner_key(view, facts)
            chain = facts.chain(owner) if not owner.startswith("desk:") else []
            status = view["status"]
            filled, cost = facts.chain_totals(owner) if chain else (ZERO, ZERO)
            last = chain[-1] if chain else None
            venue = (f"venue {last.status} {filled} filled (order {last.venue_order_id})" if last
                     else "nothing at the venue")
            desk = f"Desk {status} {view['filled']} filled"
            if view["filled"] > view["amount"]:
                self.note("overfill", f"desk:{cid}", f"{cid}: {desk} of {view['amount']}")
            if chain and view["filled"] > filled:
                self.note("double_counted_fills", f"over:{cid}", f"{cid}: {desk}, more than the {venue}")
            if status in NEVER_SENT and chain:
                self.note("status_mismatch", cid, f"{cid}: {desk}: never sent, but {venue}")
            elif status in TERMINAL_AT_VENUE:
                if last is None and status == "filled":
                    self.note("status_mismatch", cid, f"{cid}: {desk}, {venue}")
                elif last is not None and last.status != status:
                    self.note("status_mismatch", cid, f"{cid}: {desk}, {venue}")
                elif last is not None and (converge or not last.is_open) and filled == view["filled"] \
                        and cost != view["cost"]:
                    self.note("status_mismatch", cid, f"{cid}: average {_avg(view['cost'], view['filled'])} here, "
                              f"{_avg(cost, filled)} at the venue")
            if not converge:
                continue
            if (status in TERMINAL_AT_VENUE or status in WORKING) and last is not None and filled != view["filled"]:
                self.note("status_mismatch", cid, f"{cid}: {desk}, {venue}")
            elif status in ("open", "partially_filled") and last is not None and last.status != status:
                self.note("status_mismatch", cid, f"{cid}: {desk}, {venue}")
            elif status in ("in_doubt", "lost", "new") and last is not None:
                self.note("status_mismatch", cid, f"{cid}: {desk} (not found), but {venue}")
            elif status in ("open", "partially_filled") and last is None:
                self.note("status_mismatch", cid, f"{cid}: {desk}, {venue}")
            if status in WORKING and last is not None and filled == view["filled"] and cost != view["cost"]:
                self.note("status_mismatch", cid, f"{cid}: average {_avg(view['cost'], view['filled'])} here, "
                          f"{_avg(cost, filled)} at the venue")

    # -- duplicates and overfills ---------------------------------------------------------------------
    def _slot(self, cid: str) -> str | None:
        seen = 0
        while cid not in self.intents and cid in self.journal.replaces and seen < 100:
            cid, seen = self.journal.replaces[cid], seen + 1
        intent = self.intents.get(cid)
        return intent.slot if intent is not None else None

    def _duplicates(self, facts: VenueFacts) -> None:
        primaries: Counter = Counter()
        for owner, chain in facts.chains.items():
            if owner.startswith(("ext:", "liq:")):
                continue
            slot = self._slot(owner)
            if slot is None:
                self.note("duplicates", f"unapproved:{owner}", f"venue order {chain[0]} ({owner}): sent, but the "
                          f"trader approved no such order")
            elif owner not in self.journal.replaces:
                primaries[slot] += 1
        for slot, count in primaries.items():
            if count > 1:
                cids = sorted(c for c, i in self.intents.by_cid.items() if i.slot == slot and c in facts.chains)
                self.note("duplicates", f"slot:{slot}", f"one decision ({slot}) reached the venue {count} times: "
                          f"{', '.join(cids)}")

    def _overfill(self, facts: VenueFacts) -> None:
        """An order and its cancel-replace successors fill no more than the trader asked for in total. A
        replacement's amount is its own (what is left), so what the trader asks of it is on top of what its
        predecessors (canceled before it was sent) filled."""
        families: dict[str, list[str]] = defaultdict(list)
        for owner in facts.chains:  # in the order their first venue order was created
            root, seen = owner, 0
            while root in self.journal.replaces and seen < 100:
                root, seen = self.journal.replaces[root], seen + 1
            families[root].append(owner)
        for root, owners in families.items():
            cap: Decimal | None = None
            filled = ZERO
            for owner in owners:
                intent = self.intents.get(owner)
                if intent is not None:
                    cap = filled + intent.cap if cap is None else max(cap, filled + intent.cap)
                filled += facts.chain_totals(owner)[0]
            if cap is not None and filled > cap:
                kind = self.intents.by_cid[root].kind if root in self.intents else "?"
                self.note("overfill", root, f"{root} ({kind}, asked at most {cap} over its modifies): the venue "
                          f"filled {filled} over {', '.join(v for o in owners for v in facts.chains[o])}")

    # -- after the faults pause: everything must agree ---------------------------------------------
    def _drift(self, facts: VenueFacts) -> list[str]:
        desk, out = self.desk, []
        working_by_vid = {v["venue_order_id"]: v for v in desk.orders.values()
                          if v["status"] in WORKING and v.get("venue_order_id")}
        for vid in facts.open_ids:
            order = facts.orders[vid]
            mine = desk.orders.get(order.owner)
            if mine is not None and mine["status"] in WORKING:
                continue
            if vid in working_by_vid:
                continue
            out.append(f"venue order {vid} ({order.owner}) is open; the Desk has it "
                       f"{mine['status'] if mine else 'nowhere'}")
        for cid, view in desk.orders.items():
            if view["status"] not in WORKING:
                continue
            chain = facts.chain(self._owner_key(view, facts))
            if not chain or not chain[-1].is_open:
                out.append(f"{cid} is {view['status']} here; the venue has it "
                           f"{chain[-1].status if chain else 'nowhere'}")
        for symbol in sorted(set(desk.positions) | {t.symbol for t in facts.trades.values()}):
            ours, theirs = desk.positions.get(symbol, ZERO), facts.position(symbol)
            if ours != theirs:
                out.append(f"position {symbol}: {ours} here, {theirs} by the venue's trades")
        return out

    def _balances(self, facts: VenueFacts) -> list[tuple[str, str]]:
        """Per currency: what the Desk's fills explain (the starting balance plus every fill it holds) and
        what it shows, each against what the venue holds."""
        implied = {c: Decimal(v) for c, v in self.initial.items()}
        for fill in self.desk.fills.values():
            for ccy, move in facts.balance_moves(fill).items():
                implied[ccy] = implied.get(ccy, ZERO) + move
        out = []
        for ccy in sorted(set(implied) | set(facts.balances)):
            venue = facts.balances.get(ccy, ZERO)
            if implied.get(ccy, ZERO) != venue:
                out.append((f"fills:{ccy}", f"{ccy}: the Desk's fills explain {implied.get(ccy, ZERO)}, "
                                            f"the venue holds {venue}"))
            shown = self.desk.balances.get(ccy)
            if shown is not None and shown != venue:
                out.append((f"shown:{ccy}", f"{ccy}: the Desk shows {shown}, the venue holds {venue}"))
        return out


def _avg(cost: Decimal, filled: Decimal) -> str:
    return f"{cost / filled:.8f}" if filled else "-"
