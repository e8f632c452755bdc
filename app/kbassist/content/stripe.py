"""What Stripe's identifiers and codes tell about a case: which object, which product.

Both the KB reader (codes named in articles) and the case analyser (codes and IDs in a pasted case)
use this table, so an article that mentions `dp_` and a case quoting ``dp_1OkF...`` meet in the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class IdKind:
    prefix: str  # as written before the random part, e.g. "ch_" or "cs_live_"
    placeholder: str  # the macro placeholder this ID fills
    product: str
    label: str


# As declared, the usual object first where several kinds fill one placeholder (a refund is "re_", a
# bank-debit refund "pyr_").
_DECLARED: tuple[IdKind, ...] = (
    IdKind("ch_", "charge_id", "payments", "charge"),
    IdKind("py_", "charge_id", "payments", "bank-debit charge"),
    IdKind("pi_", "payment_intent_id", "payments", "PaymentIntent"),
    IdKind("pm_", "payment_method_id", "payments", "PaymentMethod"),
    IdKind("card_", "payment_method_id", "payments", "card"),
    IdKind("src_", "payment_method_id", "payments", "source"),
    IdKind("seti_", "setup_intent_id", "payments", "SetupIntent"),
    IdKind("re_", "refund_id", "refunds", "refund"),
    IdKind("pyr_", "refund_id", "refunds", "bank-debit refund"),
    IdKind("dp_", "dispute_id", "disputes", "dispute"),
    IdKind("du_", "dispute_id", "disputes", "dispute"),
    IdKind("po_", "payout_id", "payouts", "payout"),
    IdKind("ba_", "bank_account_id", "payouts", "bank account"),
    IdKind("acct_", "account_id", "connect", "account"),
    IdKind("tr_", "transfer_id", "connect", "transfer"),
    IdKind("fee_", "application_fee_id", "connect", "application fee"),
    IdKind("in_", "invoice_id", "invoicing", "invoice"),
    IdKind("il_", "invoice_item_id", "invoicing", "invoice line"),
    IdKind("ii_", "invoice_item_id", "invoicing", "invoice item"),
    IdKind("cn_", "credit_note_id", "invoicing", "credit note"),
    IdKind("sub_", "subscription_id", "billing", "subscription"),
    IdKind("si_", "subscription_item_id", "billing", "subscription item"),
    IdKind("sub_sched_", "subscription_id", "billing", "subscription schedule"),
    IdKind("price_", "price_id", "billing", "price"),
    IdKind("prod_", "product_id", "billing", "product"),
    IdKind("cus_", "customer_id", "billing", "customer"),
    IdKind("cs_live_", "checkout_session_id", "checkout", "Checkout Session"),
    IdKind("cs_test_", "checkout_session_id", "checkout", "Checkout Session"),
    IdKind("plink_", "payment_link_id", "payment-links", "payment link"),
    IdKind("tmr_", "reader_id", "terminal", "reader"),
    IdKind("tml_", "terminal_location_id", "terminal", "location"),
    IdKind("vs_", "verification_session_id", "identity", "verification session"),
    IdKind("vr_", "verification_report_id", "identity", "verification report"),
    IdKind("iauth_", "authorization_id", "issuing", "authorization"),
    IdKind("ic_", "issuing_card_id", "issuing", "issuing card"),
    IdKind("ich_", "cardholder_id", "issuing", "cardholder"),
    IdKind("ipi_", "issuing_transaction_id", "issuing", "issuing transaction"),
    IdKind("idp_", "issuing_dispute_id", "issuing", "issuing dispute"),
    IdKind("fa_", "financial_account_id", "treasury", "financial account"),
    IdKind("ibt_", "inbound_transfer_id", "treasury", "inbound transfer"),
    IdKind("obt_", "outbound_transfer_id", "treasury", "outbound transfer"),
    IdKind("obp_", "outbound_payment_id", "treasury", "outbound payment"),
    IdKind("txn_", "balance_transaction_id", "reporting", "balance transaction"),
    IdKind("frr_", "report_run_id", "reporting", "report run"),
    IdKind("evt_", "event_id", "webhooks", "event"),
    IdKind("we_", "webhook_endpoint_id", "webhooks", "webhook endpoint"),
    IdKind("req_", "request_id", "api", "API request"),
    IdKind("txcd_", "tax_code", "tax", "tax code"),
    IdKind("txr_", "tax_rate_id", "tax", "tax rate"),
    IdKind("taxreg_", "tax_registration_id", "tax", "tax registration"),
    IdKind("txi_", "tax_id", "tax", "tax ID"),
    IdKind("rule_", "radar_rule_id", "radar", "Radar rule"),
    IdKind("rsl_", "radar_list_id", "radar", "Radar list"),
    IdKind("issfr_", "early_fraud_warning_id", "radar", "early fraud warning"),
)
# Longest prefixes first so "seti_" wins over "se..." and "cs_live_" over "cs_".
ID_KINDS: tuple[IdKind, ...] = tuple(sorted(_DECLARED, key=lambda k: -len(k.prefix)))

_BY_PREFIX = {k.prefix: k for k in ID_KINDS}

# An object ID: a known prefix and 8+ characters of base62 (live Checkout Sessions are longer), with a
# digit or a capital among them: random base62 always has one, while "card_declined" or "in_progress"
# (a decline code, a status) have none and are words, not IDs.
ID_PATTERN = re.compile(
    r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(k.prefix) for k in ID_KINDS) + r")((?=[a-z]*[0-9A-Z])[A-Za-z0-9]{8,})\b"
)
# Secrets are never IDs; they are redacted, not filled into replies.
SECRET_PATTERN = re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}\b|\bwhsec_[A-Za-z0-9]{8,}\b")


def id_kind(prefix: str) -> IdKind | None:
    return _BY_PREFIX.get(prefix)


_HINTS = {k.placeholder: k.prefix for k in reversed(_DECLARED)}  # the first declared for a placeholder wins


def id_hint(placeholder: str) -> str | None:
    """What an ID for ``placeholder`` starts with, as a field hint: ``refund_id`` -> ``re_…``."""
    prefix = _HINTS.get(placeholder)
    return f"{prefix}…" if prefix else None


# Decline codes (card issuers) and the product an associate should look at.
DECLINE_CODES: dict[str, str] = dict.fromkeys(
    (
        "generic_decline",
        "insufficient_funds",
        "do_not_honor",
        "card_not_supported",
        "expired_card",
        "incorrect_cvc",
        "invalid_cvc",
        "incorrect_number",
        "invalid_number",
        "incorrect_zip",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "lost_card",
        "stolen_card",
        "pickup_card",
        "restricted_card",
        "call_issuer",
        "card_velocity_exceeded",
        "withdrawal_count_limit_exceeded",
        "processing_error",
        "try_again_later",
        "transaction_not_allowed",
        "currency_not_supported",
        "duplicate_transaction",
        "issuer_not_available",
        "invalid_account",
        "invalid_amount",
        "new_account_information_available",
        "no_action_taken",
        "not_permitted",
        "revocation_of_authorization",
        "security_violation",
        "service_not_allowed",
        "stop_payment_order",
        "testmode_decline",
        "approve_with_id",
        "reenter_transaction",
        "invalid_pin",
        "offline_pin_required",
        "online_or_offline_pin_required",
        "pin_try_exceeded",
        "merchant_blacklist",
    ),
    "payments",
) | {
    "fraudulent": "radar",
    "highest_risk_level": "radar",
    "elevated_risk_level": "radar",
    "authentication_required": "authentication",
    "authentication_not_handled": "authentication",
    "card_declined": "payments",
}

# API error codes and the product they belong to.
ERROR_CODES: dict[str, str] = {
    "resource_missing": "api",
    "parameter_invalid_empty": "api",
    "parameter_invalid_integer": "api",
    "parameter_missing": "api",
    "parameter_unknown": "api",
    "parameter_invalid_string_empty": "api",
    "url_invalid": "api",
    "rate_limit": "api",
    "lock_timeout": "api",
    "api_key_expired": "api",
    "secret_key_required": "api",
    "platform_api_key_expired": "api",
    "invalid_request_error": "api",
    "api_error": "api",
    "api_connection_error": "api",
    "authentication_error": "api",
    "permission_error": "api",
    "idempotency_error": "api",
    "idempotency_key_in_use": "api",
    "livemode_mismatch": "api",
    "testmode_charges_only": "api",
    "amount_too_small": "payments",
    "amount_too_large": "payments",
    "balance_insufficient": "refunds",
    "charge_already_refunded": "refunds",
    "charge_disputed": "refunds",
    "charge_already_captured": "payments",
    "charge_expired_for_capture": "payments",
    "payment_intent_unexpected_state": "payments",
    "payment_intent_authentication_failure": "authentication",
    "setup_intent_authentication_failure": "authentication",
    "payment_method_unactivated": "payments",
    "payment_intent_payment_attempt_failed": "payments",
    "card_decline_rate_limit_exceeded": "payments",
    "account_closed": "payouts",
    "no_account": "payouts",
    "invalid_account_number": "payouts",
    "account_frozen": "payouts",
    "bank_account_restricted": "payouts",
    "could_not_process": "payouts",
    "debit_not_authorized": "payouts",
    "insufficient_funds_payout": "payouts",
    "invalid_currency": "payouts",
    "bank_ownership_changed": "payouts",
    "declined": "payouts",
    "incorrect_account_holder_name": "payouts",
    "account_invalid": "connect",
    "account_country_invalid_address": "connect",
    "transfers_not_allowed": "connect",
    "insufficient_capabilities_for_transfer": "connect",
    "invoice_no_customer_line_items": "invoicing",
    "invoice_not_editable": "invoicing",
    "invoice_upcoming_none": "invoicing",
    "invoice_payment_intent_requires_action": "invoicing",
    "customer_tax_location_invalid": "tax",
    "tax_id_invalid": "tax",
    "taxes_calculation_failed": "tax",
    "document_expired": "identity",
    "document_unverified_other": "identity",
    "document_type_not_supported": "identity",
    "selfie_document_missing_photo": "identity",
    "selfie_face_mismatch": "identity",
    "selfie_unverified_other": "identity",
    "selfie_manipulated": "identity",
    "consent_declined": "identity",
    "under_supported_age": "identity",
    "country_not_supported": "identity",
    "signature_verification_failed": "webhooks",
    "webhook_signature_invalid": "webhooks",
    "terminal_location_country_unsupported": "terminal",
    "reader_busy": "terminal",
    "reader_offline": "terminal",
    "intent_invalid_state": "terminal",
    "spending_controls": "issuing",
    "card_inactive": "issuing",
    "cardholder_inactive": "issuing",
    "webhook_timeout": "issuing",
    "webhook_declined": "issuing",
    "account_disabled": "issuing",
    "insufficient_balance": "treasury",
    "no_such_financial_account": "treasury",
}

ALL_CODES: dict[str, str] = DECLINE_CODES | ERROR_CODES

# Error types and catch-all codes that every pasted error JSON carries, whatever it is about: still matched
# as codes, never taken as evidence of a product. On the field set's tune split, `invalid_request_error`
# alone pointed 9 developer cases about tax, checkout, billing or Connect at the API articles.
GENERIC_CODES: frozenset[str] = frozenset(
    {"invalid_request_error", "api_error", "api_connection_error", "card_error", "resource_missing"}
)

# A snake_case word in code formatting; an article naming one in backticks makes it findable by code.
CODE_TOKEN = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
# Possessive runs: a shorter run of letters and digits is followed by another one, never by `_` or a word's end,
# so giving characters back never matches; not trying it is 0.3 -> 0.15 ms of parsing a bench KB file.
CODE_IN_TEXT = re.compile(r"\b[a-z][a-z0-9]*+(?:_[a-z0-9]++)+\b")
HTTP_STATUS = re.compile(r"^[1-5]\d\d$")


# Parsing a KB file normalises every word of its code blocks, its tags and its snake_case words: the same few
# thousand tokens over and over (5 % of indexing 10,000 articles before they were kept).
@lru_cache(maxsize=8192)
def normalise_code(token: str) -> str | None:
    """Reduce a code-like token to what the index stores: a code, an ID prefix, or an HTTP status."""
    token = token.strip().strip("`'\".,:;()").lower()
    if not token:
        return None
    match = ID_PATTERN.match(token) if "_" in token else None
    for kind in ID_KINDS:  # "ch_", "ch_3Pq…" and "ch_…" all mean the charge prefix
        if token == kind.prefix or (token.startswith(kind.prefix) and (match or token.endswith(("…", "...")))):
            return kind.prefix
    if CODE_TOKEN.match(token) or HTTP_STATUS.match(token):
        return token
    return None


