"""NLU component: the language the app chose for this conversation, as a `language` entity.

The app decides the conversation's language (sticky per conversation, changed only on request) and sends it as
message metadata. Turning it into an entity lets the `language` slot follow it on every turn through an
ordinary `from_entity` mapping, so every response variation is chosen by the user's language.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, METADATA
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

LANGUAGES = ("fi", "sv", "en", "ru", "uk", "ar", "so", "fa")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class MetadataLanguageExtractor(GraphComponent):
    """Adds {"entity": "language", "value": <code>} when the message metadata carries a supported language."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MetadataLanguageExtractor":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            metadata = message.get(METADATA) or {}
            language = metadata.get("language") if isinstance(metadata, dict) else None
            if language not in LANGUAGES:
                continue
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != "language"]
            entities.append(
                {
                    "entity": "language",
                    "value": language,
                    "start": 0,
                    "end": 0,
                    "confidence_entity": 1.0,
                    "extractor": self.__class__.__name__,
                }
            )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
