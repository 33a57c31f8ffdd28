"""`neuvo kb validate` passes on the real knowledge base and names every deliberately broken entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.config import REPO_ROOT
from bot.languages import LANGUAGES

pytestmark = pytest.mark.unit


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _edit(kb: Path, topic: str, change: object) -> str:
    """Apply `change(entry)` to the first entry of a topic file; return that entry's id."""
    path = kb / "entries" / f"{topic}.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = document["entries"][0]
    change(entry)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(entry["id"])


def test_real_knowledge_base_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "kb", "validate")
    assert code == 0, err
    assert out.startswith("OK:")


def test_stats_json_shows_every_topic_in_every_language(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "kb", "stats", "--json")
    stats = json.loads(out)
    assert code == 0
    taxonomy = yaml.safe_load((REPO_ROOT / "knowledge_base" / "taxonomy.yml").read_text(encoding="utf-8"))
    ids = [t["id"] for t in taxonomy["topics"]]
    assert len(ids) == 56
    missing = [(t, lang) for t in ids for lang in LANGUAGES if stats["topics"].get(t, {}).get(lang, 0) < 1]
    assert missing == []
    assert all(n >= 6 for n in stats["min_questions_per_entry_and_language"].values())
    assert set(stats["min_questions_per_entry_and_language"]) == set(LANGUAGES)


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda e: e.__setitem__("topic", "flying_cars"), "unknown topic 'flying_cars'"),
        (lambda e: e["translations"].pop("so"), "missing language(s): so"),
        (lambda e: e["translations"]["fi"].__setitem__("answer", "   "), "translations.fi.answer"),
        (lambda e: e["translations"]["sv"].__setitem__("short", "x" * 301), "translations.sv.short"),
        (lambda e: e["translations"]["en"].__setitem__("short", "See https://migri.fi now"), "URL"),
        (
            lambda e: e["translations"]["ru"].__setitem__("questions", ["один", "два"]),
            "translations.ru.questions",
        ),
        (lambda e: e.__setitem__("sources", []), "sources"),
        (lambda e: e["translations"]["ar"]["review"].__setitem__("status", "reviewed"), "names its reviewer"),
    ],
    ids=[
        "unknown-topic",
        "missing-language",
        "empty-answer",
        "long-short",
        "url-in-short",
        "few-questions",
        "no-source",
        "reviewed-without-reviewer",
    ],
)
def test_broken_entry_fails_with_its_name(
    kb_copy: Path, capsys: pytest.CaptureFixture[str], breakage: object, expected: str
) -> None:
    entry_id = _edit(kb_copy, "citizenship", breakage)
    code, _, err = _run(capsys, "kb", "validate", "--dir", str(kb_copy))
    assert code == 1
    lines = [line for line in err.splitlines() if expected in line]
    assert lines, err
    assert all("entries/citizenship.yml" in line and repr(entry_id) in line for line in lines)


def test_duplicate_id_is_reported(kb_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = yaml.safe_load((kb_copy / "entries" / "citizenship.yml").read_text(encoding="utf-8"))
    entry_id = first["entries"][0]["id"]
    _edit(kb_copy, "voting_rights", lambda e: e.__setitem__("id", entry_id))
    code, _, err = _run(capsys, "kb", "validate", "--dir", str(kb_copy))
    assert code == 1
    assert f"entries/voting_rights.yml: entry {entry_id!r}: duplicate entry id" in err


def test_duplicate_example_question_is_reported(kb_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = yaml.safe_load((kb_copy / "entries" / "citizenship.yml").read_text(encoding="utf-8"))
    question = first["entries"][0]["translations"]["fi"]["questions"][0]
    entry_id = _edit(
        kb_copy, "voting_rights", lambda e: e["translations"]["fi"]["questions"].append(question)
    )
    code, _, err = _run(capsys, "kb", "validate", "--dir", str(kb_copy))
    assert code == 1
    assert f"entry {entry_id!r}: fi: duplicate example question" in err


def test_invalid_yaml_names_the_file(kb_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (kb_copy / "entries" / "citizenship.yml").write_text("entries: [\n  - id: broken\n", encoding="utf-8")
    code, _, err = _run(capsys, "kb", "validate", "--dir", str(kb_copy))
    assert code == 1
    assert "entries/citizenship.yml: not valid YAML" in err
    assert "topic 'citizenship' has no valid entry" in err


OFFICIAL_DOMAINS = (
    "migri.fi",
    "enterfinland.fi",
    "infofinland.fi",
    "dvv.fi",
    "kela.fi",
    "vero.fi",
    "tyomarkkinatori.fi",
    "oph.fi",
    "kotoutuminen.fi",
    "hyvaks.fi",
    "112.fi",
    "mieli.fi",
    "nollalinja.fi",
    "yhdenvertaisuusvaltuutettu.fi",
    "syrjinta.fi",
    "tasa-arvo.fi",
    "tyosuojelu.fi",
    "oikeus.fi",
    "pakolaisneuvonta.fi",
    "traficom.fi",
    "vaalit.fi",
    "suomi.fi",
    "jyvaskyla.fi",
    "kyt.fi",
    "stat.fi",
    "tem.fi",
    "intermin.fi",
    "um.fi",
    "finlex.fi",
    "thl.fi",
    "ely-keskus.fi",
    "keha-keskus.fi",
    "poliisi.fi",
    "ara.fi",
    "kkv.fi",
    "takuusaatio.fi",
    "opintopolku.fi",
    "minedu.fi",
    "stm.fi",
    "valtioneuvosto.fi",
    "verohallinto.fi",
    "kuluttajariita.fi",
    "kuluttajaneuvonta.fi",
    "ulosottolaitos.fi",
    "yrityssuomi.fi",
    "ytj.fi",
    "prh.fi",
    "oikeusministerio.fi",
    "ensijatulikoti.fi",
    "tyollisyysalue.fi",
    "hel.fi",
    "kuntaliitto.fi",
    "palkkaturva.fi",
    "tyoelake.fi",
    "julkiset.fi",
    "studyinfo.fi",
)


def test_every_entry_cites_an_official_source(settings: object) -> None:
    from bot.knowledge.loader import load_knowledge_base

    kb = load_knowledge_base(REPO_ROOT / "knowledge_base" / "entries")
    unofficial = []
    for entry in kb.entries:
        hosts = [src.split("/")[2] for src in entry.sources]
        if not any(h == d or h.endswith("." + d) for h in hosts for d in OFFICIAL_DOMAINS):
            unofficial.append((entry.id, hosts))
    assert unofficial == []


def test_vendored_taxonomy_matches_shared() -> None:
    shared = REPO_ROOT.parent / "shared" / "taxonomy.yml"
    if not shared.is_file():
        pytest.skip(f"no shared taxonomy at {shared}")
    assert (REPO_ROOT / "knowledge_base" / "taxonomy.yml").read_text() == shared.read_text()
