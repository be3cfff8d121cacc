"""Deterministic usage data of one workspace: export rows and an independent ground truth.

The parts live in their own rooms: `buckets` (usage per 15-minute bucket), `entities` (who
exists), `rows` (the cells per export type). This module joins them for a window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from langdock_emulator.buckets import (
    BUCKET_SECONDS,
    TYPE_CODE,
    bucket_count,
    bucket_range,
    quiet_day_numbers,
    window_totals,
)
from langdock_emulator.columns import (
    CANONICAL_TYPE,
    EXTRA_COLUMN,
    GROUP_COLUMNS,
    ID_COLUMNS,
    NAME_COLUMN,
    PRIMARY_COUNT_COLUMN,
    columns_for,
)
from langdock_emulator.dates import UTC, Window
from langdock_emulator.entities import LABEL, MODEL_CATALOG, Entities
from langdock_emulator.mixing import Rng, hash_ints, hash_text
from langdock_emulator.rows import BUILDERS, GROUP_VALUES, Unit, add_ranks, split_by_weights
from langdock_emulator.settings import WorkspaceSettings
from langdock_emulator.workspace import Workspace

__all__ = ["MAX_ROWS", "MODEL_CATALOG", "UsageData", "bucket_range", "hash_ints"]

MAX_ROWS = 1_000_000


class UsageData:
    """All usage data of one workspace; ``settings`` is read at call time, never cached."""

    def __init__(self, workspace: Workspace | int) -> None:
        # A bare seed stands for the default workspace of that seed.
        self.workspace = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        self.seed = self.workspace.seed
        self.org_id = self.workspace.org_id
        self.entities = Entities(self.seed)

    # --- entities --------------------------------------------------------------------------

    def entity_id(self, canonical_type: str, index: int) -> str:
        return self.entities.entity_id(canonical_type, index)

    def entity_ids(self, export_type: str, settings: WorkspaceSettings) -> list[str]:
        return self.entities.entity_ids(export_type, settings)

    def entity_index(self, export_type: str, entity_id: str, settings: WorkspaceSettings) -> int:
        return self.entities.entity_index(export_type, entity_id, settings)

    # --- ground truth ----------------------------------------------------------------------

    def ground_truth(
        self,
        export_type: str,
        entity_id: str,
        from_utc: dt.datetime,
        to_utc: dt.datetime,
        settings: WorkspaceSettings,
    ) -> int:
        """Sum of the entity's buckets starting in [from_utc, to_utc], one bucket at a time.

        Deliberately shares no range arithmetic with the export path so tests can compare.
        """
        ctype = CANONICAL_TYPE[export_type]
        index = self.entity_index(export_type, entity_id, settings)
        from_utc = from_utc.astimezone(UTC) if from_utc.tzinfo else from_utc.replace(tzinfo=UTC)
        to_utc = to_utc.astimezone(UTC) if to_utc.tzinfo else to_utc.replace(tzinfo=UTC)
        step = dt.timedelta(seconds=BUCKET_SECONDS)
        start = from_utc.replace(second=0, microsecond=0, minute=from_utc.minute // 15 * 15)
        total = 0
        t = start
        while t <= to_utc:
            if t >= from_utc and t.date().isoformat() not in settings.quiet_days:
                bucket = int(t.timestamp()) // BUCKET_SECONDS
                total += bucket_count(self.seed, ctype, index, bucket)
            t += step
        return total

    # --- export rows -----------------------------------------------------------------------

    def _units(
        self, export_type: str, window: Window, group_by: str | None, settings: WorkspaceSettings
    ) -> list[Unit]:
        ctype = CANONICAL_TYPE[export_type]
        totals = window_totals(
            self.seed,
            ctype,
            settings.entity_count(ctype),
            bucket_range(window.from_utc, window.to_utc),
            quiet_day_numbers(settings.quiet_days),
        )
        units: list[Unit] = []
        for index, total in totals.items():
            if (
                ctype == "workflows"
                and settings.privacy
                and self.entities.is_private_workflow(index)
            ):
                continue
            parts = [(total, False)]
            if ctype == "models" and settings.byok and index % 2 == 0:
                byok_share = split_by_weights(total, [1, 1 + total % 3])[1]
                parts = [(total - byok_share, False), (byok_share, True)]
            for count, byok in parts:
                if count <= 0:
                    continue
                if group_by is None:
                    units.append(Unit(index, count, None, byok))
                    continue
                groups = GROUP_VALUES[group_by]
                weights = [
                    0 if h % 3 == 0 else 1 + h % 9
                    for h in (
                        hash_ints(self.seed, TYPE_CODE[ctype], index, int(byok), g, 11)
                        for g in range(len(groups))
                    )
                ]
                if not any(weights):
                    weights[index % len(groups)] = 1
                for group, share in zip(groups, split_by_weights(count, weights), strict=True):
                    if share:
                        units.append(Unit(index, share, group, byok))
        return units

    def rows(
        self,
        export_type: str,
        window: Window,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> list[dict[str, str]]:
        """The data rows of an export (empty when no entity had usage)."""
        ctype = CANONICAL_TYPE[export_type]
        columns = columns_for(
            export_type,
            privacy=settings.privacy,
            byok=settings.byok,
            extra_column=settings.extra_column,
            group_by=group_by,
        )
        full = [
            self._full_row(ctype, unit, window, group_by, settings)
            for unit in self._units(export_type, window, group_by, settings)
        ]
        if ctype == "users":
            add_ranks(full)
        return [{c: row.get(c, "") for c in columns} for row in full]

    def _full_row(
        self,
        ctype: str,
        unit: Unit,
        window: Window,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> dict[str, str]:
        rng = Rng(
            self.seed,
            TYPE_CODE[ctype],
            unit.index,
            unit.count,
            int(unit.byok),
            hash_text(unit.group or ""),
        )
        static = Rng(self.seed, TYPE_CODE[ctype], unit.index, 99)
        row = {
            "period_start": window.period_start,
            "period_end": window.period_end,
            "org_id": self.org_id,
            EXTRA_COLUMN: str((unit.count * 7 + unit.index) % 1000),
        }
        if group_by is not None and unit.group is not None:
            row[GROUP_COLUMNS[ctype][group_by]] = unit.group
        row.update(
            BUILDERS[ctype](self.entities, unit, rng, static, group_by=group_by, settings=settings)
        )
        return row

    # --- bulk mode -------------------------------------------------------------------------

    def bulk_rows(
        self,
        export_type: str,
        window: Window,
        group_by: str | None,
        settings: WorkspaceSettings,
        count: int,
    ) -> Iterator[list[str]]:
        """``count`` synthetic rows, generated lazily from one template row.

        Only the key, name, count and rank cells vary, which keeps ~1M rows cheap.
        """
        ctype = CANONICAL_TYPE[export_type]
        columns = columns_for(
            export_type,
            privacy=settings.privacy,
            byok=settings.byok,
            extra_column=settings.extra_column,
            group_by=group_by,
        )
        unit = Unit(0, 1000, GROUP_VALUES[group_by][0] if group_by else None)
        template_row = self._full_row(ctype, unit, window, group_by, settings)
        template = [template_row.get(c, "") for c in columns]
        position = {c: i for i, c in enumerate(columns)}
        key_at = position[ID_COLUMNS[export_type][0]]
        name_at = position.get(NAME_COLUMN[export_type])
        count_at = position[PRIMARY_COUNT_COLUMN[export_type]]
        rank_at = [i for c, i in position.items() if c.endswith("_rank")]
        prefix = f"bulk-{LABEL[ctype].lower()}-"
        tricky = settings.tricky_names
        for i in range(count):
            row = template.copy()
            key = f"{prefix}{i:07d}"
            row[key_at] = key
            if name_at is not None:
                row[name_at] = f'Bulk, "tricky"\n{key}' if tricky and i % 997 == 1 else key
            row[count_at] = str(count - i)
            for at in rank_at:
                row[at] = str(i + 1)
            yield row
