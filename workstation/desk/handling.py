"""How an order will be handled on its market: sent natively, held locally (emulated), or not offered.

Pure functions of the market's capabilities and the venue's features: the ticket shows them live. Whether an
order is held locally is the venue's call (``ExchangeVenue.emulation_reason``, over its rules table).
"""

from __future__ import annotations

from ..domain.market import Market
from ..domain.orders import OrderSpec, OrderType, TriggerSource


def order_types(market: Market, modify_in_place: bool, native_sources: tuple[str, ...] = ("last",)) -> dict[str, str]:
    """For the ticket: each order type and flag as "native", "emulated" or "unsupported" on this market.

    Keys: every OrderType value, "IOC", "FOK", "post_only", "reduce_only", "oco", "bracket", "scaled",
    "modify" ("in place" or "cancel-replace") and "trigger_by" (sources a native trigger can use)."""
    caps = market.capabilities
    out: dict[str, str] = {}
    for kind in OrderType:
        out[kind.value] = "native" if (not kind.has_trigger or kind.value in caps) else "emulated"
    out["IOC"] = "native" if "IOC" in caps else "unsupported"
    out["FOK"] = "native" if "FOK" in caps else "unsupported"
    out["post_only"] = "native" if "post_only" in caps else "unsupported"
    out["reduce_only"] = "native" if market.is_derivative and "reduce_only" in caps else "unsupported"
    out["oco"] = "emulated"  # ccxt has no unified OCO: legs held here, one released, the others disarmed
    out["bracket"] = "emulated"  # the entry goes to the venue; stop-loss and take-profit held here
    out["scaled"] = "native"  # N limit orders at the venue
    out["modify"] = "in place" if modify_in_place else "cancel-replace"
    out["trigger_by"] = (f"{', '.join(native_sources)} (native); " if native_sources else "") + ", ".join(
        s.value for s in TriggerSource if s.value not in native_sources) + " emulated"
    return out


def explain(spec: OrderSpec, reason: str | None) -> str:
    """One line for the ticket: what will happen if this order is approved (``reason``: emulation_reason)."""
    what = f"{spec.side.value} {spec.amount} {spec.symbol} {spec.type.value.replace('_', '-')}"
    if reason is None:
        flags = [f for f, on in (("post-only", spec.post_only), ("reduce-only", spec.reduce_only),
                                 (spec.time_in_force.value, spec.time_in_force.value != "GTC")) if on]
        return f"sent to {spec.venue} on approval as a native {what}" + (f" ({', '.join(flags)})" if flags else "")
    released = "limit" if spec.type in (OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT) else "market"
    trigger = (f"trails {spec.trailing_amount or str(spec.trailing_percent) + '%'} behind the best "
               f"{spec.trigger_by.value} price" + (f" once it reaches {spec.trigger_price}" if spec.trigger_price else "")
               if spec.type is OrderType.TRAILING_STOP else
               f"when the {spec.trigger_by.value} price reaches {spec.trigger_price}")
    return (f"emulated locally: needs the workstation running. {what} is held here ({reason}); "
            f"{trigger}, it is released as a {released} order through the risk gate")
