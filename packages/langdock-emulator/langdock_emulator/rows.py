"""The cells of one export row, per export type, from an entity's share of a window.

Every derived number (splits, tokens, costs, ratios) comes from a PRNG seeded by the entity
and its count, so a row is the same whichever window or order produced it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from typing import Protocol

from langdock_emulator.entities import TOPICS, Entities
from langdock_emulator.mixing import Rng
from langdock_emulator.settings import WorkspaceSettings

GROUP_VALUES: dict[str, tuple[str, ...]] = {
    "model": ("gpt-4o", "claude-sonnet-4", "mistral-large", "gemini-2.5-pro", "o3-mini"),
    "source": ("WEB", "MOBILE", "API", "SLACK"),
    "deployment": ("azure-eu-1", "openai-direct", "bedrock-eu-central-1"),
}
_ACTIONS = ("Jira_Search for issues", "Confluence_Search", "Web_Search", "SharePoint_Get file")
_DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "Research & Development", "")


def decimal(micros: int) -> str:
    """Fixed-point micro-units as a decimal with at most six places, no float rounding."""
    whole, frac = divmod(micros, 1_000_000)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".")


def _ratio_micros(numerator: int, denominator: int) -> int:
    return (2 * numerator * 1_000_000 + denominator) // (2 * denominator)


def _json_map(mapping: dict[str, int]) -> str:
    return json.dumps(mapping, separators=(",", ":"), ensure_ascii=False)


def _spread(rng: Rng, total: int, keys: Sequence[str], max_keys: int) -> dict[str, int]:
    """Split ``total`` over a few distinct keys, every share positive."""
    if total <= 0 or not keys:
        return {}
    k = min(1 + rng.below(max_keys), len(keys), total)
    start = rng.below(len(keys))
    chosen = [keys[(start + i) % len(keys)] for i in range(k)]
    shares = [1 + s for s in rng.partition(total - k, k)]
    return dict(zip(chosen, shares, strict=True))


def split_by_weights(total: int, weights: Sequence[int]) -> list[int]:
    """Largest-remainder split: integer shares proportional to weights, summing to total."""
    weight_sum = sum(weights)
    shares = [total * w // weight_sum for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_sum), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


@dataclasses.dataclass(frozen=True)
class Unit:
    """One output row before derivation: an entity's share of the window."""

    index: int
    count: int
    group: str | None = None
    byok: bool = False


def _project_row(
    entities: Entities,
    unit: Unit,
    rng: Rng,
    static: Rng,
    *,
    group_by: str | None,
    settings: WorkspaceSettings,
) -> dict[str, str]:
    owner_id, owner_email = entities.owner_cells("projects", unit.index, settings)
    return {
        "project_id": entities.entity_id("projects", unit.index),
        "project_name": entities.entity_name("projects", unit.index, settings.tricky_names),
        "project_owner_id": owner_id,
        "project_owner_email": owner_email,
        "messages": str(unit.count),
    }


def _user_row(
    entities: Entities,
    unit: Unit,
    rng: Rng,
    static: Rng,
    *,
    group_by: str | None,
    settings: WorkspaceSettings,
) -> dict[str, str]:
    total = unit.count
    chat, assistants, projects = rng.partition(total, 3)
    agent_ids = entities.entity_ids("agents", settings)
    project_ids = entities.entity_ids("projects", settings)
    if not agent_ids:
        chat, assistants = chat + assistants, 0
    if not project_ids:
        chat, projects = chat + projects, 0
    to_assistants = _spread(rng, assistants, agent_ids, 3)
    to_projects = _spread(rng, projects, project_ids, 3)
    if group_by == "model" and unit.group is not None:
        to_models = {unit.group: total}
    else:
        to_models = _spread(rng, total, GROUP_VALUES["model"], 3)
    actions = _spread(rng, rng.below(total // 3 + 1), _ACTIONS, 3)
    role = ("member", "member", "member", "editor", "admin")[static.below(5)]
    joined = dt.date(2022, 1, 1) + dt.timedelta(days=static.below(730))
    payg_limit = (0, 0, 25, 50, 100)[static.below(5)]
    consumption = total * rng.between(500, 5000)
    row = {
        "user_id": entities.entity_id("users", unit.index),
        "name": entities.entity_name("users", unit.index, settings.tricky_names),
        "email": entities.user_email(unit.index),
        "role": role,
        "joined_at": joined.isoformat(),
        "department": _DEPARTMENTS[static.below(len(_DEPARTMENTS))],
        "company_name": ("Acme GmbH", "Acme Inc.")[static.below(2)],
        "license_type": ("business", "business", "enterprise")[static.below(3)],
        "payg_limit_current": str(payg_limit) if payg_limit else "",
        "payg_consumption_in_period": decimal(consumption),
        "payg_utilization_pct_current": (
            decimal(_ratio_micros(consumption * 100, payg_limit * 1_000_000)) if payg_limit else ""
        ),
        "messages_total": str(total),
        "messages_chat": str(chat),
        "messages_assistants": str(sum(to_assistants.values())),
        "assistants_messaged": str(len(to_assistants)),
        "assistants_to_messages": _json_map(to_assistants),
        "messages_projects": str(sum(to_projects.values())),
        "projects_messaged": str(len(to_projects)),
        "projects_to_messages": _json_map(to_projects),
        "model_to_messages_total": _json_map(to_models),
        "action_messages": str(sum(actions.values())),
        "action_messaged": str(len(actions)),
        "action_to_messages": _json_map(actions),
    }
    row.update(_user_cost_cells(rng, total))
    return row


def _user_cost_cells(rng: Rng, messages: int) -> dict[str, str]:
    # Drawn last from the row's stream, after every message split, as it always was.
    prompt = messages * rng.between(200, 1500)
    completion = messages * rng.between(50, 600)
    return {
        "sum_prompt_tokens": str(prompt),
        "sum_completion_tokens": str(completion),
        "total_cost_usd": decimal(prompt * 3 + completion * 15),
    }


def _agent_row(
    entities: Entities,
    unit: Unit,
    rng: Rng,
    static: Rng,
    *,
    group_by: str | None,
    settings: WorkspaceSettings,
) -> dict[str, str]:
    total = unit.count
    agent_id = entities.entity_id("agents", unit.index)
    unique = 1 + rng.below(min(total, max(settings.entity_count("users"), 1)))
    active = 1 + rng.below(unique)
    owner_id, owner_email = entities.owner_cells("agents", unit.index, settings)
    if unit.index % 5 == 4:
        description = ""
    elif settings.tricky_names and unit.index % 2 == 1:
        description = f'Answers "how do I…?", drafts replies,\nand cites sources ({unit.index})'
    else:
        description = f"Helps the team with {TOPICS[static.below(len(TOPICS))].lower()}"
    row = {
        "assistant_id": agent_id,
        "assistant_name": entities.entity_name("agents", unit.index, settings.tricky_names),
        "messages": str(total),
        "unique_users": str(unique),
        "active_users": str(active),
        "conversations": str(1 + rng.below(total)),
        "messages_per_user": decimal(_ratio_micros(total, active)),
        "assistant_description": description,
        "assistant_url": f"https://app.langdock.com/assistants/{agent_id}",
        "assistant_owner_id": owner_id,
        "assistant_owner_email": owner_email,
    }
    for kind, low, high in (("prompt", 50, 400), ("completion", 20, 300)):
        smallest = rng.between(low, high)
        largest = smallest + rng.below(3000) if total > 1 else smallest
        middle = rng.between(smallest, largest)
        tokens = smallest if total == 1 else smallest + largest + (total - 2) * middle
        row[f"sum_{kind}_tokens"] = str(tokens)
        row[f"avg_{kind}_tokens"] = decimal(_ratio_micros(tokens, total))
        row[f"min_{kind}_tokens"] = str(smallest)
        row[f"max_{kind}_tokens"] = str(largest)
    return row


def _tokens(rng: Rng, requests: int) -> dict[str, int]:
    prompt = requests * rng.between(100, 3000)
    cached, creation, fresh = rng.partition(prompt, 3)
    return {
        "prompt": prompt,
        "completion": requests * rng.between(20, 800),
        "cached": cached,
        "creation": creation,
        "fresh": fresh,
    }


def _api_key_row(
    entities: Entities,
    unit: Unit,
    rng: Rng,
    static: Rng,
    *,
    group_by: str | None,
    settings: WorkspaceSettings,
) -> dict[str, str]:
    tokens = _tokens(rng, unit.count)
    return {
        "api_key_id": entities.entity_id("api-keys", unit.index),
        "api_key_name": entities.entity_name("api-keys", unit.index, settings.tricky_names),
        "requests": str(unit.count),
        "total_cost_usd": decimal(unit.count * rng.between(200, 20000)),
        "sum_prompt_tokens": str(tokens["prompt"]),
        "sum_completion_tokens": str(tokens["completion"]),
        "cached_prompt_tokens": str(tokens["cached"]),
        "cache_creation_tokens": str(tokens["creation"]),
        "no_cache_tokens": str(tokens["fresh"]),
    }


def _model_row(
    entities: Entities,
    unit: Unit,
    rng: Rng,
    static: Rng,
    *,
    group_by: str | None,
    settings: WorkspaceSettings,
) -> dict[str, str]:
    name, provider = entities.model(unit.index)
    tokens = _tokens(rng, unit.count)
    return {
        "name": name,
        "provider": provider,
        "bring_your_keys": "true" if unit.byok else "false",
        "requests": str(unit.count),
        "sum_prompt_tokens": str(tokens["prompt"]),
        "sum_completion_tokens": str(tokens["completion"]),
        "sum_cached_prompt_tokens": str(tokens["cached"]),
        "sum_cache_creation_tokens": str(tokens["creation"]),
        "no_cache_tokens": str(tokens["fresh"]),
        "total_cost_usd": decimal(tokens["prompt"] * 3 + tokens["completion"] * 15),
    }


def _workflow_row(
    entities: Entities,
    unit: Unit,
    rng: Rng,
    static: Rng,
    *,
    group_by: str | None,
    settings: WorkspaceSettings,
) -> dict[str, str]:
    runs = unit.count
    failed = rng.below(runs // 4 + 1)
    cost = runs * rng.between(10_000, 400_000)
    cap = 0 if unit.index % 4 == 3 else (25, 50, 100)[static.below(3)]
    owner_id, owner_email = entities.owner_cells("workflows", unit.index, settings)
    return {
        "workflow_id": entities.entity_id("workflows", unit.index),
        "workflow_name": entities.entity_name("workflows", unit.index, settings.tricky_names),
        "workflow_owner_id": owner_id,
        "workflow_owner_email": owner_email,
        "runs": str(runs),
        "successful_runs": str(runs - failed),
        "failed_runs": str(failed),
        "total_cost_usd": decimal(cost),
        "monthly_cap_usd": str(cap) if cap else "",
        "cap_utilization_pct": decimal(_ratio_micros(cost * 100, cap * 1_000_000)) if cap else "",
    }


class RowBuilder(Protocol):
    def __call__(
        self,
        entities: Entities,
        unit: Unit,
        rng: Rng,
        static: Rng,
        *,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> dict[str, str]: ...


BUILDERS: dict[str, RowBuilder] = {
    "projects": _project_row,
    "users": _user_row,
    "agents": _agent_row,
    "api-keys": _api_key_row,
    "models": _model_row,
    "workflows": _workflow_row,
}


def add_ranks(rows: list[dict[str, str]]) -> None:
    """Competition ranking (1 = most), as SQL RANK() would give among the export's rows."""
    for column in ("messages_total", "messages_chat", "messages_assistants", "messages_projects"):
        values = sorted((int(r[column]) for r in rows), reverse=True)
        first_position: dict[int, int] = {}
        for position, value in enumerate(values, start=1):
            first_position.setdefault(value, position)
        for row in rows:
            row[f"{column}_rank"] = str(first_position[int(row[column])])
