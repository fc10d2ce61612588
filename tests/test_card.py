"""Data cards at datasheet depth: fields, sensitive-column flags (by hand and detected), JSON
and Markdown export, and the round trip through a profile."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import lifecycle_widgets as lw
from lifecycle_widgets.core.card import SensitiveColumn
from lifecycle_widgets.core.profile_pii import detect_sensitive

FULL = dict(
    source="core banking export",
    owner="credit-risk team",
    description="Loans opened 2020-2024",
    license="internal",
    access_notes="risk analysts only",
    version="2024-06",
    intended_use="default models",
    out_of_scope_use="marketing",
    collection_process="nightly export of the loan book",
    preprocessing="test accounts removed | currencies converted",
    retention="7 years",
    deletion_policy="deleted on customer request within 30 days",
    custom={"steward": "<b>A. Lee</b>", "region": "EU"},
)


def test_card_round_trips_through_json(tmp_path) -> None:
    card = lw.DataCard(**FULL).flag("customer_id", "identifier", "joins to the CRM")
    assert lw.DataCard.from_json(card.to_json()) == card
    path = tmp_path / "card.json"
    card.to_json(path)
    assert lw.DataCard.from_json(path) == card
    assert json.loads(path.read_text())["sensitive"][0]["column"] == "customer_id"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"owner": 3}, "'owner' parameter of DataCard must be a str"),
        ({"custom": {"a": 1}}, "'custom' parameter of DataCard must be a dict of str to str"),
        ({"sensitive": ["email"]}, "'sensitive' parameter of DataCard must be SensitiveColumn items"),
    ],
)
def test_bad_card_fields(kwargs: dict, match: str) -> None:
    with pytest.raises(lw.ParameterError, match=match):
        lw.DataCard(**kwargs)


def test_unknown_keys_are_an_error() -> None:
    with pytest.raises(lw.ParameterError, match="unknown keys"):
        lw.DataCard.from_dict({"owner": "x", "colour": "blue"})


def test_markdown_datasheet() -> None:
    card = lw.DataCard(**FULL).flag("email|addr", "email", "by hand")
    md = card.to_markdown(facts=[("Rows", "1,000")])
    assert md.startswith("# Data card: core banking export\n")
    for heading in ("## Motivation and use", "## Collection and preprocessing", "## Distribution and access"):
        assert heading in md
    assert "- **Deletion policy:** deleted on customer request within 30 days" in md
    assert "test accounts removed \\| currencies converted" in md  # a | cannot break the table
    assert "\\<b\\>A. Lee\\</b\\>" in md and "<b>" not in md
    assert "| email\\|addr | email | flagged | by hand |" in md
    assert "- **Rows:** 1,000" in md


def test_manual_flags_win_over_detection() -> None:
    card = lw.DataCard().flag("customer_id", "pseudonym", "hashed")
    found = (
        SensitiveColumn("customer_id", "identifier", "", True),
        SensitiveColumn("mail", "email", "", True),
    )
    merged = card.with_detected(found)
    assert [(s.column, s.category, s.detected) for s in merged.sensitive] == [
        ("customer_id", "pseudonym", False),
        ("mail", "email", True),
    ]
    assert merged.with_detected(()).sensitive == card.sensitive  # detections are replaced, flags kept


def people(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "contact": [f"user{i}@example.com" for i in range(n)],
            "tel": [
                f"+33 6 {rng.integers(10, 99)} {rng.integers(10, 99)} {rng.integers(10, 99)} {i % 90 + 10}"
                for i in range(n)
            ],
            "card_no": [f"4111 1111 1111 {i:04d}" for i in range(n)],
            "ip": [f"10.0.{i // 250}.{i % 250}" for i in range(n)],
            "customerEmail": ["unknown"] * n,
            "birth_date": pd.Timestamp("1980-01-01") + pd.to_timedelta(rng.integers(0, 9000, n), unit="D"),
            "ref": [f"R{i:06d}" for i in rng.permutation(n)],
            "notes": [f"called on 2024-01-{i % 28 + 1:02d} about the loan" for i in range(n)],
            "day": [f"2024-03-{i % 28 + 1:02d}" for i in range(n)],
            "amount": rng.normal(100, 10, n),
        }
    )


def test_detector_finds_personal_data() -> None:
    prof = lw.profile(people())
    found = {s.column: s for s in detect_sensitive(prof.columns)}
    assert {k: v.category for k, v in found.items()} == {
        "contact": "email",
        "tel": "phone",
        "card_no": "payment card",
        "ip": "ip address",
        "customerEmail": "email",
        "birth_date": "date of birth",
        "ref": "identifier",
    }
    assert found["contact"].reason == "100% of sampled values look like one"
    assert found["customerEmail"].reason == "its name"
    assert all(s.detected for s in found.values())


def test_detector_leaves_ordinary_columns_alone() -> None:
    df = people()[["notes", "day", "amount"]].assign(code=[str(i % 50 + 1_000_000) for i in range(200)])
    assert detect_sensitive(lw.profile(df).columns) == ()


def test_profile_carries_the_card_through_json(tmp_path) -> None:
    prof = lw.profile(people(), card=lw.DataCard(**FULL).flag("amount", "financial", "balances"))
    card = prof.card
    assert [s.column for s in card.sensitive][:2] == ["amount", "contact"]
    assert lw.DataProfile.from_dict(prof.to_dict()) == prof
    plain = prof.with_card(owner="someone else", detect=False)
    assert plain.card.owner == "someone else" and [s.column for s in plain.card.sensitive] == [
        s.column for s in card.sensitive
    ]
    md = prof.card_markdown()
    assert "## Sensitive columns" in md and "| contact | email | detected |" in md
    assert f"- **Fingerprint (SHA-256):** {prof.fingerprint.sha256}" in md


def test_card_display_escapes_markup() -> None:
    evil = "<img src=x onerror=alert(1)>"
    prof = (
        lw.profile(people())
        .with_card(owner=evil, custom={"steward": evil})
        .with_card(lw.DataCard(owner="x").flag(evil, evil, evil))
    )
    html = prof.to_html()
    assert evil not in html and "Sensitive columns" in html and "&lt;img src=x" in html
