"""The entities of a workspace: ids, names, e-mails and owners, all derived from its seed."""

from __future__ import annotations

from langdock_emulator.buckets import TYPE_CODE
from langdock_emulator.columns import CANONICAL_TYPE
from langdock_emulator.mixing import hash_ints, uuid_like
from langdock_emulator.settings import WorkspaceSettings

MODEL_CATALOG: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "openai"),
    ("claude-sonnet-4", "anthropic"),
    ("mistral-large", "mistral"),
    ("gpt-4.1", "openai"),
    ("gemini-2.5-pro", "google"),
    ("claude-3-5-haiku", "anthropic"),
    ("o3-mini", "openai"),
    ("llama-3.3-70b", "meta"),
    ("gpt-4o-mini", "openai"),
    ("codestral", "mistral"),
)
_FIRST = ("Anna", "Ben", "Carla", "David", "Elif", "Felix", "Greta", "Hannes", "Ida", "Jonas")
_LAST = ("Schmidt", "Meyer", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Koch", "Klein")
TOPICS = ("Sales", "Legal", "Research", "Support", "Marketing", "Finance", "HR", "Engineering")
_TRICKY_USERS = (
    'Zoë "Z" Müller, Jr.',
    "Renée\nO'Brien",
    'Łukasz, "Luke"\r\nKowalski',
    "山田 太郎",
)
LABEL = {
    "projects": "Project",
    "users": "User",
    "agents": "Agent",
    "api-keys": "Key",
    "models": "Model",
    "workflows": "Workflow",
}


class Entities:
    """Who exists in one seeded workspace; how many of each is a setting, read per call."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def entity_id(self, canonical_type: str, index: int) -> str:
        if canonical_type == "models":
            return self.model(index)[0]
        return uuid_like(self.seed, TYPE_CODE[canonical_type], index)

    @staticmethod
    def model(index: int) -> tuple[str, str]:
        if index < len(MODEL_CATALOG):
            return MODEL_CATALOG[index]
        return (f"custom-model-{index + 1:03d}", "azure")

    def entity_ids(self, export_type: str, settings: WorkspaceSettings) -> list[str]:
        ctype = CANONICAL_TYPE[export_type]
        return [self.entity_id(ctype, i) for i in range(settings.entity_count(ctype))]

    def entity_name(self, canonical_type: str, index: int, tricky: bool) -> str:
        label = LABEL[canonical_type]
        if canonical_type == "models":
            return self.model(index)[0]
        if tricky and index % 3 == 1:
            variant = (index // 3) % 4
            if canonical_type == "users":
                return _TRICKY_USERS[variant]
            return (
                f'Ünïcødé, "Quoted"\n{label} {index + 1}',
                f'Line\r\nBreak "{label}" {index + 1}',
                f"Comma, Separated; {label} #{index + 1}",
                f"日本語 {label} Ω {index + 1}",
            )[variant]
        if canonical_type == "users":
            return f"{self._first(index)} {self._last(index)}"
        topic = TOPICS[hash_ints(self.seed, TYPE_CODE[canonical_type], index, 7) % 8]
        return f"{topic} {label} {index + 1:02d}"

    def _first(self, index: int) -> str:
        return _FIRST[hash_ints(self.seed, 2, index, 3) % len(_FIRST)]

    def _last(self, index: int) -> str:
        return _LAST[hash_ints(self.seed, 2, index, 4) % len(_LAST)]

    def user_email(self, index: int) -> str:
        return f"{self._first(index)}.{self._last(index)}.{index + 1}@example.com".lower()

    def _owner(self, canonical_type: str, index: int, settings: WorkspaceSettings) -> int | None:
        users = settings.entity_count("users")
        if users == 0:
            return None
        return hash_ints(self.seed, TYPE_CODE[canonical_type], index, 5) % users

    def entity_index(self, export_type: str, entity_id: str, settings: WorkspaceSettings) -> int:
        ctype = CANONICAL_TYPE[export_type]
        for index in range(settings.entity_count(ctype)):
            if self.entity_id(ctype, index) == entity_id:
                return index
        raise KeyError(f"no {export_type} entity {entity_id!r} in this workspace")

    @staticmethod
    def is_private_workflow(index: int) -> bool:
        return index % 3 == 2

    def owner_cells(self, ctype: str, index: int, settings: WorkspaceSettings) -> tuple[str, str]:
        """(owner user id, owner e-mail) of an entity, empty when the workspace has no users."""
        owner = self._owner(ctype, index, settings)
        if owner is None:
            return "", ""
        return self.entity_id("users", owner), self.user_email(owner)
