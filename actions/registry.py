"""The explicit list of Neuvo's actions, registered with their services."""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor

from actions.feedback import ActionFeedback
from actions.handoff import ActionDeclineHandoff, ActionEscalate, ActionOfferHandoff
from actions.knowledge import ActionAnswerQuestion
from actions.language import ActionSetLanguage
from actions.roaming import ROAMING_ACTIONS
from actions.services import ActionServices

ACTIONS = (
    ActionAnswerQuestion,
    ActionSetLanguage,
    ActionOfferHandoff,
    ActionDeclineHandoff,
    ActionEscalate,
    ActionFeedback,
    *ROAMING_ACTIONS,
)


def build_executor(services: ActionServices) -> ActionExecutor:
    executor = ActionExecutor()
    for action_class in ACTIONS:
        executor.register_action(action_class(services))
    return executor
