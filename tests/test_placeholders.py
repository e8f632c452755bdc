from kbassist.content.placeholders import defaults, field_type, fill, label, placeholder_names

TEMPLATE = "Hi {{customer_name|there}},\nRefund {{ refund_id }} of {{amount}} for {{last4}}.\n{{agent_name}}"


def test_names_and_defaults() -> None:
    assert placeholder_names(TEMPLATE) == ["customer_name", "refund_id", "amount", "last4", "agent_name"]
    assert defaults(TEMPLATE) == {"customer_name": "there"}


def test_fill_uses_values_then_defaults_and_reports_the_rest() -> None:
    result = fill(TEMPLATE, {"refund_id": "re_123", "amount": "$20.00", "agent_name": "Sam"})
    assert result.text == "Hi there,\nRefund re_123 of $20.00 for {{last4}}.\nSam"
    assert result.unfilled == ("last4",)
    assert result.filled["customer_name"] == "there"
    named = fill(TEMPLATE, {"customer_name": "Maria"})
    assert named.text.startswith("Hi Maria,")
    assert named.unfilled == ("refund_id", "amount", "last4", "agent_name")


def test_field_types_and_labels() -> None:
    assert field_type("amount") == "amount"
    assert field_type("deadline_date") == "date"
    assert field_type("dispute_id") == "object_id"
    assert field_type("last4") == "number"
    assert field_type("customer_email") == "email"
    assert field_type("customer_name") == "text"
    assert label("dispute_id") == "Dispute ID"
