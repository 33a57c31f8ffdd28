"""One conversation: read it (audited), reply through the person's channel, notes, KB search, suggestions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from bot.console.auth import AdminUser, AdvisorUser, console_services
from bot.console.errors import InvalidInput
from bot.console.escalation_queue import Outcome
from bot.console.kb_search import search_kb
from bot.console.suggestions import SuggestionKind
from bot.console.web import ConsoleRoute, redirect, url, wants_html
from bot.languages import FALLBACK_LANGUAGE, LANGUAGES, as_language, is_language
from bot.privacy.export import export_person
from bot.privacy.retention import erase_person
from bot.storage.store import ERASED

router = APIRouter(route_class=ConsoleRoute)


def _page(conversation_id: str) -> str:
    return f"/console/conversations/{quote(conversation_id, safe='')}"


@router.get("/conversations/{conversation_id}")
async def conversation_page(request: Request, conversation_id: str, advisor: AdvisorUser) -> HTMLResponse:
    console = console_services(request)
    header = await anyio.to_thread.run_sync(console.desk.header, conversation_id)
    await anyio.to_thread.run_sync(
        console.audit.write, advisor.username, "conversation.view", conversation_id
    )
    messages = await anyio.to_thread.run_sync(console.desk.messages, conversation_id)
    escalations = await anyio.to_thread.run_sync(console.queue.for_conversation, conversation_id)
    transcripts = {e.id: await anyio.to_thread.run_sync(console.queue.transcript, e.id) for e in escalations}
    accounts = await anyio.to_thread.run_sync(console.accounts.all) if advisor.is_admin else []
    replies = [m for m in messages if m.author == advisor.username]
    # The topic the escalation is most likely about: the one it was resolved with, else the bot's last.
    topics = [e.resolved_topic for e in escalations if e.resolved_topic] + [
        m.topic for m in messages if m.topic
    ]
    return console.pages.render(
        request,
        "conversation.html",
        advisor,
        conversation=header,
        messages=messages,
        last_message_id=messages[-1].id if messages else 0,
        escalations=escalations,
        transcripts=transcripts,
        channels=await anyio.to_thread.run_sync(console.desk.channels, conversation_id),
        notes=await anyio.to_thread.run_sync(console.desk.notes, conversation_id),
        outcomes=list(Outcome),
        topics=console.taxonomy.topics,
        default_topic=topics[-1] if topics else "",
        languages=LANGUAGES,
        suggestion_kinds=list(SuggestionKind),
        last_reply=replies[-1].text if replies else "",
        advisors=[a.username for a in accounts if a.active],
        holds_it=header.assigned_to == advisor.username,
    )


@router.get("/conversations/{conversation_id}/messages")
async def new_messages(
    request: Request, conversation_id: str, advisor: AdvisorUser, after: Annotated[int, Query(ge=0)] = 0
) -> HTMLResponse:
    """Messages newer than `after`, as list items: the open page appends them when the live stream says so."""
    console = console_services(request)
    await anyio.to_thread.run_sync(console.desk.header, conversation_id)  # 404 for an erased conversation
    messages = await anyio.to_thread.run_sync(console.desk.messages, conversation_id, after)
    return HTMLResponse(console.pages.fragment("_messages.html", messages=messages))


@router.post("/conversations/{conversation_id}/reply")
async def reply(
    request: Request,
    conversation_id: str,
    advisor: AdvisorUser,
    text: Annotated[str, Form(max_length=8000)],
) -> Response:
    console = console_services(request)
    result = await console.replies.send(conversation_id, advisor.username, text)
    await anyio.to_thread.run_sync(
        console.audit.write,
        advisor.username,
        "reply.send",
        conversation_id,
        f"message={result.message_id} channel={result.channel or '-'} delivery={result.delivery.value}",
    )
    if wants_html(request):
        return redirect(url(_page(conversation_id), notice=result.delivery.value))
    return JSONResponse(
        {"message_id": result.message_id, "channel": result.channel, "delivery": result.delivery.value}
    )


@router.post("/conversations/{conversation_id}/notes")
async def add_note(
    request: Request,
    conversation_id: str,
    advisor: AdvisorUser,
    text: Annotated[str, Form(max_length=8000)],
) -> Response:
    console = console_services(request)
    note_id = await anyio.to_thread.run_sync(console.desk.add_note, conversation_id, advisor.username, text)
    await anyio.to_thread.run_sync(
        console.audit.write, advisor.username, "note.add", conversation_id, f"note={note_id}"
    )
    return redirect(url(_page(conversation_id), notice="note"))


@router.post("/conversations/{conversation_id}/suggestions")
async def suggest(
    request: Request,
    conversation_id: str,
    advisor: AdvisorUser,
    kind: Annotated[str, Form(max_length=16)],
    text: Annotated[str, Form(max_length=8000)],
    topic: Annotated[str, Form(max_length=64)],
    language: Annotated[str, Form(max_length=2)],
) -> Response:
    """Turn an advisor's reply into a draft answer or example question for an admin to review."""
    console = console_services(request)
    try:
        chosen = SuggestionKind(kind)
    except ValueError as exc:
        raise InvalidInput("kind: answer or question") from exc
    await anyio.to_thread.run_sync(console.desk.header, conversation_id)
    suggestion_id = await anyio.to_thread.run_sync(
        lambda: console.suggestions.add(
            kind=chosen,
            text=text,
            topic=topic,
            language=language,
            author=advisor.username,
            conversation_id=conversation_id,
        )
    )
    await anyio.to_thread.run_sync(
        console.audit.write,
        advisor.username,
        "kb.suggest",
        conversation_id,
        f"suggestion={suggestion_id} kind={chosen.value} topic={topic} language={language}",
    )
    return redirect(url(_page(conversation_id), notice="suggested"))


@router.get("/kb/search")
async def kb_search(
    request: Request,
    advisor: AdvisorUser,
    q: Annotated[str, Query(max_length=4000)] = "",
    language: Annotated[str, Query(max_length=2)] = "",
) -> JSONResponse:
    """Entries that fit the advisor's words, with each answer in `language` (the person's) to insert."""
    console = console_services(request)
    answer_language = as_language(language) if language and is_language(language) else FALLBACK_LANGUAGE
    hits = await anyio.to_thread.run_sync(search_kb, console.retriever, q, answer_language)
    return JSONResponse({"hits": [asdict(h) | {"reply_text": h.reply_text} for h in hits]})


@router.get("/conversations/{conversation_id}/export.json")
async def export_data(request: Request, conversation_id: str, admin: AdminUser) -> JSONResponse:
    """Everything stored about the person (a subject access request). Admins only; audited."""
    console = console_services(request)
    await anyio.to_thread.run_sync(console.desk.header, conversation_id)  # 404 for an erased conversation
    data = await anyio.to_thread.run_sync(export_person, console.store, conversation_id)
    await anyio.to_thread.run_sync(console.audit.write, admin.username, "person.export", conversation_id)
    filename = f"neuvo-{conversation_id}.json"
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/conversations/{conversation_id}/erase")
async def erase_data(
    request: Request, conversation_id: str, admin: AdminUser, confirm: Annotated[str, Form()] = ""
) -> Response:
    """Erase the person everywhere, Rasa's tracker included (the person asked). Admins only; audited."""
    console = console_services(request)
    await anyio.to_thread.run_sync(console.desk.header, conversation_id)
    if confirm != "erase":
        raise InvalidInput("type erase to confirm")
    await erase_person(console.store, request.app.state.dialogue, conversation_id)
    # The audit row cannot name the conversation any more: erasure leaves no way back to the person.
    await anyio.to_thread.run_sync(console.audit.write, admin.username, "person.erase", ERASED)
    return redirect(url("/console", notice="erased"))
