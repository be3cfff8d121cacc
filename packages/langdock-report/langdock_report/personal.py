"""What the tap's ``pii`` setting did to the loaded data, told from the values themselves."""

from __future__ import annotations

import dataclasses
import re

from langdock_report import queries
from langdock_report.warehouse import Warehouse

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclasses.dataclass(frozen=True)
class PersonalData:
    # "keep": readable e-mails and names; "hash": SHA-256 digests; "none": no values at all
    # (pii=drop, or a workspace with user-level data disabled).
    mode: str
    shown: bool

    @property
    def caption(self) -> str:
        if self.mode == "hash":
            return "Personal data: hashed when loaded (pii=hash); no names or e-mails shown"
        if self.mode == "none":
            return "Personal data: none loaded (pii=drop, or user-level data disabled in Langdock)"
        if not self.shown:
            return "Personal data: loaded, but left out of this report (--hide-personal-data)"
        return "Personal data: as loaded (pii=keep); owners' e-mails appear in the tables"


def detect(warehouse: Warehouse, hide: bool) -> PersonalData:
    values = [str(row["value"]) for row in queries.run(warehouse, "personal_data", {})]
    if not values:
        return PersonalData("none", shown=False)
    if all(_SHA256_HEX.match(value) for value in values):
        return PersonalData("hash", shown=False)
    return PersonalData("keep", shown=not hide)
