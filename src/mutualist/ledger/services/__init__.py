"""Every write to the books. ``transaction_post`` is the only writer of postings."""

from __future__ import annotations

from mutualist.ledger.services.accounts import (
    account_component,
    account_name_for,
    account_name_validate,
    account_open,
)
from mutualist.ledger.services.books import (
    REVERSIBLE_BY_HAND,
    asset_account_open,
    asset_account_open_with_balance,
    opening_account,
    opening_balance_record,
    transaction_reverse_by_hand,
)
from mutualist.ledger.services.fx import (
    ImportResult,
    RateQuote,
    currency_convert,
    exchange_rate_find,
    exchange_rate_set,
    exchange_rates_import_ecb,
    rate_parse,
    trading_account,
)
from mutualist.ledger.services.posting import (
    Line,
    WouldGoNegative,
    ledger_date_validate,
    transaction_post,
    transaction_reverse,
)

__all__ = [
    "REVERSIBLE_BY_HAND",
    "asset_account_open",
    "asset_account_open_with_balance",
    "opening_account",
    "opening_balance_record",
    "rate_parse",
    "transaction_reverse_by_hand",
    "ImportResult",
    "Line",
    "RateQuote",
    "WouldGoNegative",
    "account_component",
    "account_name_for",
    "account_name_validate",
    "account_open",
    "currency_convert",
    "exchange_rate_find",
    "exchange_rate_set",
    "exchange_rates_import_ecb",
    "ledger_date_validate",
    "trading_account",
    "transaction_post",
    "transaction_reverse",
]
