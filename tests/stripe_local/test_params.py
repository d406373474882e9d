"""Stripe's form encoding decoded the way the SDK encodes it, and Stripe's parameter errors."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from stripe._encode import _api_encode

from stripe_local.errors import ApiError
from stripe_local.params import Params, decode, merge_metadata


def encode_like_the_sdk(params: dict[str, object]) -> str:
    return urlencode(list(_api_encode(params))).replace("%5B", "[").replace("%5D", "]")


def test_decodes_what_the_sdk_encodes():
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "usd", "unit_amount": 4900, "product_data": {"name": "A & B"}},
                "quantity": 2,
            }
        ],
        "metadata": {"order": "17", "note": ""},
        "expand": ["payment_intent", "payment_intent.latest_charge"],
        "confirm": True,
    }
    assert decode(encode_like_the_sdk(params)) == {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "usd", "unit_amount": "4900", "product_data": {"name": "A & B"}},
                "quantity": "2",
            }
        ],
        "metadata": {"order": "17", "note": ""},
        "expand": ["payment_intent", "payment_intent.latest_charge"],
        "confirm": "true",
    }


def test_decodes_empty_bracket_arrays_and_sorts_indexes_numerically():
    assert decode("expand[]=a&expand[]=b") == {"expand": ["a", "b"]}
    assert decode("x[10]=k&x[2]=c&x[0]=a") == {"x": ["a", "c", "k"]}


def test_refuses_a_key_that_is_both_a_value_and_a_hash():
    with pytest.raises(ApiError) as raised:
        decode("metadata=x&metadata[a]=b")
    assert raised.value.status == 400


def test_params_refuse_unknown_missing_and_malformed_values_with_stripes_codes():
    params = Params({"amount": "12x", "surprise": "1"})
    with pytest.raises(ApiError) as raised:
        params.integer("amount")
    assert (raised.value.code, raised.value.param) == ("parameter_invalid_integer", "amount")
    with pytest.raises(ApiError) as raised:
        params.need_string("currency")
    assert (raised.value.code, raised.value.param) == ("parameter_missing", "currency")
    with pytest.raises(ApiError) as raised:
        params.finish()
    assert (raised.value.code, raised.value.param) == ("parameter_unknown", "surprise")


def test_nested_params_name_their_errors_with_the_full_path():
    params = Params({"payment_intent_data": {"transfer_data": {"amount": "-1"}}})
    nested = params.need_nested("payment_intent_data").need_nested("transfer_data")
    with pytest.raises(ApiError) as raised:
        nested.integer("amount", minimum=1)
    assert raised.value.param == "payment_intent_data[transfer_data][amount]"


def test_metadata_limits_and_update_semantics():
    with pytest.raises(ApiError):
        Params({"metadata": {f"k{i}": "v" for i in range(51)}}).metadata()
    with pytest.raises(ApiError):
        Params({"metadata": {"k" * 41: "v"}}).metadata()
    assert merge_metadata({"a": "1", "b": "2"}, {"b": "", "c": "3"}) == {"a": "1", "c": "3"}
    assert merge_metadata({"a": "1"}, {}) == {}
