"""The JSON schemas of the workflows and workflow_runs streams."""

from __future__ import annotations

from singer_sdk import typing as th

from tap_langdock.workflow.records import EXTRA_FIELDS

_JSON = th.ObjectType(additional_properties=True)
_ANY_LIST = th.ArrayType(th.CustomType({}))
_EXTRA = th.Property(
    EXTRA_FIELDS,
    _JSON,
    nullable=True,
    description="Fields Langdock sent that this version of the tap does not know.",
)
# Not part of the key: workflow and run ids are Langdock-wide ids.
_WORKSPACE = th.Property(
    "workspace_id",
    th.StringType,
    nullable=True,
    description="The tap's workspace_id setting (the Workflow API names no workspace).",
)

WORKFLOWS = th.PropertiesList(
    th.Property("id", th.StringType, required=True, description="Langdock's workflow id."),
    _WORKSPACE,
    th.Property("name", th.StringType, nullable=True),
    th.Property("description", th.StringType, nullable=True),
    th.Property("status", th.StringType, nullable=True, description="ACTIVE or INACTIVE."),
    th.Property("access_role", th.StringType, nullable=True, description="The key's role."),
    th.Property("timezone", th.StringType, nullable=True),
    th.Property("owner_id", th.StringType, nullable=True),
    th.Property("owner_name", th.StringType, nullable=True, description="Subject to `pii`."),
    th.Property("owner_email", th.StringType, nullable=True, description="Subject to `pii`."),
    th.Property("has_published_version", th.BooleanType, nullable=True),
    th.Property("active_version", _JSON, nullable=True, description="As Langdock sent it."),
    th.Property("versions", _ANY_LIST, nullable=True, description="Version history."),
    th.Property("limits", _JSON, nullable=True, description="Cost and execution caps."),
    th.Property("created_at", th.DateTimeType, nullable=True),
    th.Property("updated_at", th.DateTimeType, nullable=True),
    _EXTRA,
).to_dict()

WORKFLOW_RUNS = th.PropertiesList(
    th.Property("id", th.StringType, required=True, description="Langdock's run id."),
    _WORKSPACE,
    th.Property("workflow_id", th.StringType, required=True),
    th.Property(
        "status",
        th.StringType,
        nullable=True,
        description="PENDING, IN_PROGRESS, AWAITING_INPUT, COMPLETED, FAILED or CANCELLED.",
    ),
    th.Property("run_mode", th.StringType, nullable=True, description="test or production."),
    th.Property("version", th.StringType, nullable=True, description="0: the draft."),
    th.Property(
        "created_at", th.DateTimeType, required=True, description="When the run was created."
    ),
    th.Property("started_at", th.DateTimeType, nullable=True),
    th.Property("completed_at", th.DateTimeType, nullable=True),
    th.Property("updated_at", th.DateTimeType, nullable=True),
    th.Property(
        "duration_ms",
        th.NumberType,
        nullable=True,
        description="Langdock's figure, else completed_at - started_at.",
    ),
    th.Property("cost_usd", th.NumberType, nullable=True),
    th.Property("usage", _JSON, nullable=True, description="Usage figures, as sent."),
    th.Property("error", th.StringType, nullable=True),
    th.Property(
        "is_final",
        th.BooleanType,
        required=True,
        description="False while the run may still change; the tap reads it again then.",
    ),
    th.Property("execution_count", th.IntegerType, nullable=True),
    th.Property(
        "executions",
        th.ArrayType(_JSON),
        nullable=True,
        description="Node executions; input, output and logs only with workflow_run_payloads.",
    ),
    _EXTRA,
).to_dict()
