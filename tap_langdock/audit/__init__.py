"""The audit_logs stream: Langdock's Audit Logs API, archived incrementally.

``ranges`` plans which periods a run reads, ``protocol`` says what each answer means,
``pages`` does the HTTP, ``records`` types the entries, ``bookmark`` keeps the state and
``stream`` puts them together for the SDK.
"""
