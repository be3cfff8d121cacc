"""The workflows and workflow_runs streams: Langdock's Workflow API, archived incrementally.

``protocol`` says what each answer means, ``transport`` does the HTTP, ``fields`` reads
camelCase and snake_case alike, ``records`` types workflows and runs, ``state`` keeps the
per-workflow bookmarks and the runs still going, and ``stream``/``runs_stream`` put them
together for the SDK. What was assumed about the API is in docs/workflow-api-assumptions.md.
"""
