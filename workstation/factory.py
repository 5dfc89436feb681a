"""Builds a Desk from a Config: the paper exchange by default, plus any configured ccxt venues."""

from __future__ import annotations

import time
from dataclasses import replace

from .config import Config
from .desk.desk import Desk, DeskSettings
from .desk.journal import Journal
from .desk.risk import RiskGate, RiskLimits
from .venues.ccxt_venue import ExchangeVenue

PAPER = "paper"


def risk_gate(config: Config) -> RiskGate:
    """Limits by precedence: [risk.venues.V.symbols.S] > [risk.symbols.S] > [risk.venues.V] > [risk] > defaults."""
    risk = config.risk
    default = RiskLimits(**{name: getattr(risk, name) for name in RiskLimits.field_names()})
    per_symbol = {}
    venue_names = [PAPER] + [v.name for v in config.venues] + [v for v in risk.venues if v != PAPER]
    for venue in dict.fromkeys(venue_names):
        venue_table = dict(risk.venues.get(venue, {}))
        venue_symbols = venue_table.pop("symbols", {})
        venue_default = replace(default, **venue_table)
        if venue_table:
            per_symbol[(venue, "*")] = venue_default
        for symbol in {*risk.symbols, *venue_symbols}:
            per_symbol[(venue, symbol)] = replace(venue_default, **{**risk.symbols.get(symbol, {}),
                                                                    **venue_symbols.get(symbol, {})})
    return RiskGate(default_limits=default, per_symbol=per_symbol)


def paper_venue(config: Config, *, realtime: bool = True) -> ExchangeVenue:
    """The paper venue, resumed from its own state file in the data dir (``paper-state.json``) when there
    is one; a realtime venue's clock catches up with the wall clock (venues/paper/clock.py)."""
    from .config import ConfigError
    from .venues.paper.exchange import LatencyModel, PaperExchange
    from .venues.paper.state import FILE_NAME, PaperStateError

    paper = config.paper
    latency = LatencyModel(median_ms=paper.latency_ms, sigma=paper.latency_sigma, seed=paper.seed) if paper.latency_ms > 0 else None
    try:
        exchange = PaperExchange(
            seed=paper.seed, latency=latency, faults=dict(paper.faults),
            balances={k: str(v) for k, v in paper.balances.items()} or None,
            start_ms=int(time.time() * 1000) if realtime else None, speed=paper.speed, modify=paper.modify,
            state_path=config.data_dir / FILE_NAME)
    except PaperStateError as exc:
        raise ConfigError(str(exc)) from None
    return ExchangeVenue(PAPER, exchange, environment="paper", rate_capacity=1200)


def build_venues(config: Config) -> dict[str, ExchangeVenue]:
    venues: dict[str, ExchangeVenue] = {}
    if config.paper.enabled:
        venues[PAPER] = paper_venue(config)
    if config.venues:
        from .venues.connect import ccxt_venue  # imported lazily: ccxt.pro takes a while to import

        for vc in config.venues:
            venues[vc.name] = ccxt_venue(vc)
    return venues


def build_desk(config: Config, venues: dict[str, ExchangeVenue] | None = None, journal: Journal | None = None) -> Desk:
    venues = venues if venues is not None else build_venues(config)
    symbols = {PAPER: list(config.symbols)} if PAPER in venues else {}
    for vc in config.venues:
        if vc.symbols:
            symbols[vc.name] = list(vc.symbols)
    return Desk(venues, journal or Journal(config.journal_path), gate=risk_gate(config),
                settings=DeskSettings(refresh_interval_s=config.refresh_interval_s,
                                      proposal_expiry_s=config.copilot.proposal_expiry_s,
                                      price_tolerance_bps=config.copilot.price_tolerance_bps,
                                      human_expiry_s=config.cockpit.human_expiry_s),
                symbols=symbols)
