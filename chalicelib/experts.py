"""The podcast's panel: a host and the experts a user may choose from (one to four)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_EXPERTS = 4


@dataclass(frozen=True)
class Voice:
    polly_voice: str
    polly_engine: str
    espeak_voice: str


@dataclass(frozen=True)
class Expert:
    id: str
    name: str
    title: str
    focus: str
    voice: Voice

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "focus": self.focus,
            "voice": {
                "polly": self.voice.polly_voice,
                "pollyEngine": self.voice.polly_engine,
                "espeak": self.voice.espeak_voice,
            },
        }


HOST = Expert(
    id="host",
    name="Morgan Hale",
    title="Host",
    focus="Guides the conversation and sums up what listeners should take away.",
    voice=Voice("Matthew", "neural", "en-us+m3"),
)

PANEL: tuple[Expert, ...] = (
    Expert(
        id="credit",
        name="Dana Okafor",
        title="Credit Risk Analyst",
        focus="Loan quality: nonaccrual loans, charge-offs and whether reserves cover losses.",
        voice=Voice("Joanna", "neural", "en-us+f3"),
    ),
    Expert(
        id="capital",
        name="Raj Mehta",
        title="Capital and Liquidity Specialist",
        focus="Capital ratios against regulatory minimums, funding mix and liquidity buffers.",
        voice=Voice("Stephen", "neural", "en-gb+m4"),
    ),
    Expert(
        id="profitability",
        name="Elena Vasquez",
        title="Bank Profitability Analyst",
        focus="Net interest margin, fee income, efficiency ratio and return on equity.",
        voice=Voice("Ruth", "neural", "en-us+f4"),
    ),
    Expert(
        id="regulation",
        name="Thomas Becker",
        title="Former Bank Examiner",
        focus="Supervisory view: what examiners would flag and how rules shape the bank.",
        voice=Voice("Gregory", "neural", "en-us+m5"),
    ),
    Expert(
        id="markets",
        name="Aisha Rahman",
        title="Equity and Markets Strategist",
        focus="How investors read the figures: growth, valuation drivers and rate sensitivity.",
        voice=Voice("Danielle", "neural", "en-gb+f2"),
    ),
    Expert(
        id="economy",
        name="Lucas Moreau",
        title="Regional Economist",
        focus="The local and national economy behind loan demand, deposits and credit cycles.",
        voice=Voice("Brian", "neural", "en-gb+m2"),
    ),
)

_BY_ID = {expert.id: expert for expert in PANEL}


def expert_by_id(expert_id: str) -> Expert | None:
    return _BY_ID.get(expert_id)


def panel_to_api() -> dict[str, Any]:
    return {
        "host": HOST.to_api(),
        "experts": [expert.to_api() for expert in PANEL],
        "maxExperts": MAX_EXPERTS,
    }
