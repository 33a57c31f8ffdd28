"""Every bot text exists in all eight languages, and the generated Rasa data matches the knowledge base."""

from __future__ import annotations

import pytest
import yaml

from bot.config import REPO_ROOT, KnowledgeSettings
from bot.dialogue.nlu_export import HANDLED_BY_OWN_INTENTS, knowledge_questions_yaml
from bot.dialogue.responses import ResponseCatalog
from bot.knowledge.loader import load_knowledge_base
from bot.languages import LANGUAGES

pytestmark = pytest.mark.unit
DOMAIN = REPO_ROOT / "domain.yml"


def test_every_response_has_every_language() -> None:
    domain = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    for name, variations in domain["responses"].items():
        languages = {
            c["value"] for v in variations for c in v.get("condition", []) if c["name"] == "language"
        }
        assert languages == set(LANGUAGES), name


def test_catalog_renders_placeholders_in_the_language_asked() -> None:
    catalog = ResponseCatalog.from_domain(DOMAIN)
    text = catalog.render(
        "utter_kb_answer", "fi", title="T", answer="A", source="https://x.fi", date="2026-01-01"
    )
    assert text.text == "T\n\nA\n\nLähde: https://x.fi (tarkistettu 2026-01-01)"
    buttons = catalog.render("utter_did_it_help", "ar").buttons
    assert [b.payload for b in buttons] == ["/feedback_positive", "/feedback_negative"]
    assert len(catalog.render("utter_choose_language", "so").buttons) == 8


def test_every_conversation_intent_has_examples_in_every_language() -> None:
    data = yaml.safe_load((REPO_ROOT / "data" / "nlu" / "conversation.yml").read_text(encoding="utf-8"))
    intents = {block["intent"] for block in data["nlu"]}
    required = {
        "greet",
        "goodbye",
        "thanks",
        "affirm",
        "deny",
        "human_handoff",
        "change_language",
        "bot_challenge",
        "feedback_positive",
        "feedback_negative",
    }
    assert required <= intents
    for block in data["nlu"]:
        assert len(block["examples"].splitlines()) >= 8 * 8, block["intent"]


def test_generated_knowledge_questions_match_the_knowledge_base() -> None:
    kb = load_knowledge_base(KnowledgeSettings.from_env().entries_dir)
    committed = (REPO_ROOT / "data" / "nlu" / "knowledge_questions.yml").read_text(encoding="utf-8")
    assert committed == knowledge_questions_yaml(kb), "run `neuvo rasa export-nlu`"


def test_more_retrieval_examples_do_not_change_the_rasa_data() -> None:
    kb = load_knowledge_base(KnowledgeSettings.from_env().entries_dir)
    before = knowledge_questions_yaml(kb)
    translation = kb.entries[0].translations["ar"]
    translation.questions.extend(f"سؤال إضافي رقم {n} عن نفس الموضوع" for n in range(12))
    assert knowledge_questions_yaml(kb) == before
    translation.questions[0] = "سؤال أول مختلف تماما"
    assert knowledge_questions_yaml(kb) != before


def test_entries_with_their_own_intents_are_left_out_of_ask_question() -> None:
    kb = load_knowledge_base(KnowledgeSettings.from_env().entries_dir)
    by_id = {entry.id: entry for entry in kb.entries}
    nlu = yaml.safe_load((REPO_ROOT / "data" / "nlu" / "roaming.yml").read_text(encoding="utf-8"))["nlu"]
    intents = {block["intent"] for block in nlu}
    exported = set(knowledge_questions_yaml(kb).splitlines())
    for entry_id, intent in HANDLED_BY_OWN_INTENTS.items():
        assert entry_id in by_id and intent in intents
        first = by_id[entry_id].translations["en"].questions[0]
        assert f"    - {' '.join(first.split())}" not in exported
