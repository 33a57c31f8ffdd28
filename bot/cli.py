"""`neuvo`: the command line for the knowledge base, evaluation, channels, the console and privacy."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.config import ConfigError, KnowledgeSettings
from bot.observability.logging import configure_logging_from_env
from bot.privacy import cli as privacy_cli
from bot.roaming import cli as roaming_cli
from bot.storage import cli as db_cli

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _settings() -> KnowledgeSettings:
    return KnowledgeSettings.from_env()


def cmd_validate(args: argparse.Namespace) -> int:
    from bot.knowledge.taxonomy import load_taxonomy
    from bot.knowledge.validation import validate_knowledge_base

    settings = _settings()
    entries_dir = Path(args.dir) / "entries" if args.dir else settings.entries_dir
    kb, problems = validate_knowledge_base(entries_dir, load_taxonomy(settings.taxonomy_path))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {entries_dir}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"OK: {len(kb.entries)} entries, {len(kb.topics)} topics, all languages present ({entries_dir})")
    return EXIT_OK


def _stats(settings: KnowledgeSettings) -> dict[str, Any]:
    from bot.knowledge.loader import load_knowledge_base
    from bot.knowledge.taxonomy import load_taxonomy
    from bot.knowledge.validation import coverage
    from bot.languages import LANGUAGES

    taxonomy = load_taxonomy(settings.taxonomy_path)
    kb = load_knowledge_base(settings.entries_dir)
    table = coverage(kb, taxonomy)
    review: dict[str, dict[str, int]] = {lang: {"machine_draft": 0, "reviewed": 0} for lang in LANGUAGES}
    min_questions: dict[str, int] = {}
    for entry in kb.entries:
        for lang, tr in entry.translations.items():
            review[lang][tr.review.status.value] += 1
            min_questions[lang] = min(min_questions.get(lang, 10**6), len(tr.questions))
    return {
        "topics": table,
        "entries": len(kb.entries),
        "topics_covered": sum(1 for t in taxonomy.ids if all(table[t][lang] > 0 for lang in LANGUAGES)),
        "topics_in_taxonomy": len(taxonomy.ids),
        "min_questions_per_entry_and_language": min_questions,
        "example_questions": sum(len(tr.questions) for e in kb.entries for tr in e.translations.values()),
        "review_status": review,
        "entries_without_source": [e.id for e in kb.entries if not e.sources],
        "load_problems": [str(p) for p in kb.problems],
    }


def cmd_stats(args: argparse.Namespace) -> int:
    from bot.languages import LANGUAGES

    stats = _stats(_settings())
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
        return EXIT_OK
    width = max(len(t) for t in stats["topics"]) + 2
    print("topic".ljust(width) + "".join(lang.rjust(4) for lang in LANGUAGES))
    for topic, row in stats["topics"].items():
        print(topic.ljust(width) + "".join(str(row[lang]).rjust(4) for lang in LANGUAGES))
    print(
        f"\n{stats['entries']} entries; {stats['topics_covered']}/{stats['topics_in_taxonomy']} topics "
        f"filled in all 8 languages; {stats['example_questions']} example questions"
    )
    print(
        "fewest example questions in one entry, per language: "
        + ", ".join(f"{k} {v}" for k, v in stats["min_questions_per_entry_and_language"].items())
    )
    print(
        "reviewed by a person / machine drafts, per language: "
        + ", ".join(f"{k} {v['reviewed']}/{v['machine_draft']}" for k, v in stats["review_status"].items())
    )
    for problem in stats["load_problems"]:
        print(f"warning: {problem}", file=sys.stderr)
    return EXIT_OK


def _retriever(quiet: bool = False) -> Any:
    from bot.retrieval.retriever import Retriever

    return Retriever.from_settings(_settings(), show_progress=not quiet)


def cmd_search(args: argparse.Namespace) -> int:
    from bot.retrieval.scoring import Mode
    from bot.retrieval.text import InvalidQuery

    retriever = _retriever()
    try:
        result = retriever.search(args.text, language=args.lang, k=args.k, mode=Mode(args.mode))
    except (InvalidQuery, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(_result_json(result), ensure_ascii=False, indent=2))
        return EXIT_OK
    print(
        f"language: {result.language} (confidence {result.language_confidence:.2f}); "
        f"answer confidence {result.confidence:.3f}"
    )
    for rank, hit in enumerate(result.hits, start=1):
        print(
            f"{rank:>2}. {hit.score:.3f}  {hit.entry.id:<45} topic={hit.entry.topic}  "
            f"dense={hit.dense:.3f} lexical={hit.lexical:.3f}"
        )
    if result.answer:
        a = result.answer
        note = " (not available in your language: English shown)" if a.fallback_language else ""
        print(
            f"\n[{a.language}] {a.title}{note}\n{a.text}\nSource: {', '.join(a.sources)} "
            f"(checked {a.last_reviewed})"
        )
    else:
        print(f"\nno answer ({result.reason or 'no entry matched'})")
    return EXIT_OK


def _result_json(result: Any) -> dict[str, Any]:
    answer = result.answer
    return {
        "language": result.language,
        "language_confidence": round(result.language_confidence, 4),
        "confidence": round(result.confidence, 4),
        "answer": None if answer is None else answer.__dict__,
        "hits": [
            {
                "entry_id": h.entry.id,
                "topic": h.entry.topic,
                "score": round(h.score, 4),
                "dense": round(h.dense, 4),
                "lexical": round(h.lexical, 4),
            }
            for h in result.hits
        ],
        "reason": result.reason,
    }


def cmd_build(args: argparse.Namespace) -> int:
    from bot.knowledge.loader import load_knowledge_base
    from bot.retrieval.embedders import SentenceTransformerEmbedder
    from bot.retrieval.index import load_or_build

    settings = _settings()
    kb = load_knowledge_base(settings.entries_dir)
    embedder = SentenceTransformerEmbedder(settings.embedding_model, cache_dir=settings.cache_dir)
    started = time.perf_counter()
    index, built = load_or_build(kb, embedder, settings.cache_dir)
    state = "built" if built else "already cached"
    print(f"index {state}: {len(index.docs)} documents in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    from bot.evaluation.dataset import load_questions
    from bot.retrieval.calibration import calibrate

    settings = _settings()
    tuning = Path(args.tuning) if args.tuning else settings.kb_dir / "tuning" / "tuning.jsonl"
    retriever = _retriever()
    calibration = calibrate(retriever, load_questions(tuning), settings.embedding_model)
    calibration.save(settings.calibration_path)
    for mode, report in calibration.report.items():
        print(f"{mode:<8} " + "  ".join(f"{k}={v:.3f}" for k, v in report.items()))
    print(f"wrote {settings.calibration_path}")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluation.dataset import DatasetError, load_questions

    try:
        questions = load_questions(Path(args.file))
    except (OSError, DatasetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.pipeline or args.start_service:
        return _eval_pipeline(args, questions)
    return _eval_retriever(args, questions)


def _write_predictions(path: str, predictions: list[Any]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for p in predictions:
            row = {
                "id": p.question.id,
                "topic": p.topic,
                "entry_id": p.entry_id,
                "language": p.language,
                "confidence": p.confidence,
            }
            if p.classifies_intents:
                row["intent"] = p.intent
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _eval_retriever(args: argparse.Namespace, questions: list[Any]) -> int:
    from bot.evaluation.metrics import score
    from bot.evaluation.report import format_comparison
    from bot.evaluation.retrieval_eval import predict_all_modes
    from bot.retrieval.scoring import Mode

    retriever = _retriever(quiet=args.json)
    predictions = predict_all_modes(retriever, questions)
    tables = {mode.value: score(preds) for mode, preds in predictions.items()}
    if args.predictions:
        _write_predictions(args.predictions, predictions[Mode.HYBRID])
    if args.json:
        print(json.dumps({"file": args.file, "modes": tables}, ensure_ascii=False, indent=2))
    else:
        print(format_comparison(tables))
    return EXIT_OK


def _eval_pipeline(args: argparse.Namespace, questions: list[Any]) -> int:
    """Through /api/chat of a running service (--pipeline URL) or of one started for the run."""
    from bot.evaluation.metrics import score
    from bot.evaluation.pipeline_eval import PipelineError, predict_via_api
    from bot.evaluation.report import format_comparison
    from bot.launcher import LaunchError, free_port, start_stack

    stack = None
    url = args.pipeline
    try:
        if args.start_service:
            stack = start_stack(free_port(), free_port())
            url = stack.app_url
        started = time.perf_counter()
        predictions = predict_via_api(url, questions)
        elapsed = time.perf_counter() - started
    except (PipelineError, LaunchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    finally:
        if stack:
            stack.stop()
    tables = {"pipeline": score(predictions)}
    if args.predictions:
        _write_predictions(args.predictions, predictions)
    if args.json:
        print(json.dumps({"file": args.file, "pipeline": url, "modes": tables}, ensure_ascii=False, indent=2))
    else:
        print(f"through {url}/api/chat ({len(questions)} questions in {elapsed:.1f} s)")
        print(format_comparison(tables))
    return EXIT_OK


def cmd_export_nlu(args: argparse.Namespace) -> int:
    from bot.config import REPO_ROOT
    from bot.dialogue.nlu_export import export
    from bot.knowledge.loader import load_knowledge_base

    path = Path(args.out) if args.out else REPO_ROOT / "data" / "nlu" / "knowledge_questions.yml"
    changed = export(load_knowledge_base(_settings().entries_dir), path)
    print(f"{'wrote' if changed else 'unchanged'}: {path}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from bot.launcher import run
    from bot.settings import AppSettings

    settings = AppSettings.from_env()
    return run(settings.app_port, settings.rasa_port)


def cmd_train(args: argparse.Namespace) -> int:
    from bot.launcher import LaunchError, ensure_model

    try:
        ensure_model()
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _channel_commands() -> list[Register]:
    """`neuvo telegram ...`, `neuvo twilio ...`, `neuvo console ...`: each package registers its own."""
    from bot.console import cli as console_cli
    from channels.telegram import cli as telegram_cli
    from channels.twilio import cli as twilio_cli

    return [telegram_cli.register, twilio_cli.register, console_cli.register]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neuvo", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)

    kb = sub.add_parser("kb", help="the knowledge base").add_subparsers(dest="kb_command", required=True)
    p = kb.add_parser("validate", help="check every entry; non-zero exit on any problem")
    p.add_argument("--dir", help="knowledge-base folder (default: NEUVO_KB_DIR or knowledge_base/)")
    p.set_defaults(func=cmd_validate)
    p = kb.add_parser("stats", help="coverage of topics x languages")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
    p = kb.add_parser("search", help="ranked entries for a question")
    p.add_argument("text")
    p.add_argument("--lang", help="the question's language, if known (fi, sv, en, ru, uk, ar, so, fa)")
    p.add_argument("-k", type=int, default=5, help="how many entries to list (default 5)")
    p.add_argument("--mode", choices=["hybrid", "lexical", "dense"], default="hybrid")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)
    p = kb.add_parser("build", help="build (or confirm) the cached index")
    p.set_defaults(func=cmd_build)
    p = kb.add_parser("calibrate", help="fit fusion weights and the answer threshold on the tuning set")
    p.add_argument("--tuning", help="JSONL tuning set (default knowledge_base/tuning/tuning.jsonl)")
    p.set_defaults(func=cmd_calibrate)

    rasa = sub.add_parser("rasa", help="the Rasa project").add_subparsers(dest="rasa_command", required=True)
    p = rasa.add_parser("export-nlu", help="write data/nlu/knowledge_questions.yml from the knowledge base")
    p.add_argument("--out", help="output file")
    p.set_defaults(func=cmd_export_nlu)

    p = rasa.add_parser("train", help="train the Rasa model if data/, domain.yml or config.yml changed")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("run", help="start Rasa and the app (training first if needed); Ctrl-C stops both")
    p.set_defaults(func=cmd_run)

    privacy_cli.register(sub)
    db_cli.register(sub)
    roaming_cli.register(sub)
    for register in _channel_commands():
        register(sub)

    p = sub.add_parser("eval", help="evaluate retrieval on a JSONL question set, with baselines")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.add_argument("--predictions", help="write one JSON line per question here")
    p.add_argument("--pipeline", metavar="URL", help="evaluate a running service through its /api/chat")
    p.add_argument("--start-service", action="store_true", help="start Rasa + the app for the run, then stop")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # NEUVO_LOG_FORMAT=json|text: JSON lines with personal data masked (jobs run by systemd, for example).
    if not configure_logging_from_env():
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
