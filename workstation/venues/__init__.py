"""Venues: the ccxt adapter and the paper exchange. ccxt's exchanges are imported only when named."""

from .lazy_ccxt import install as _install_lazy_ccxt

_install_lazy_ccxt()
