"""Domain errors of the catalog, named in the domain; entry points map them to their transport."""

from __future__ import annotations

from dataclasses import dataclass


class CatalogError(Exception):
    """Base of every error the catalog raises on purpose."""


class ProjectNotFound(CatalogError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no project with code {code!r}")
        self.code = code


@dataclass(frozen=True)
class RowError:
    """One problem in one row of an import file."""

    line: int
    field: str | None
    reason: str
    sheet: str | None = None  # a spreadsheet's row: the sheet and the cell's column letter
    column: str | None = None

    @property
    def location(self) -> str:
        """Where the problem is: `line 5`, or a spreadsheet cell `推介项目清单!F6`."""
        if self.sheet is None:
            return f"line {self.line}"
        if self.column is None:
            return f"{self.sheet}!row {self.line}"
        return f"{self.sheet}!{self.column}{self.line}"

    @property
    def row_key(self) -> tuple[str | None, int]:
        """The row the problem is in (for counting bad rows)."""
        return self.sheet, self.line

    def __str__(self) -> str:
        where = self.location
        if self.field:
            where += f", field {self.field!r}"
        return f"{where}: {self.reason}"


class CatalogBusy(CatalogError):
    """Other writers kept the catalog busy through every retry; nothing was applied."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}; nothing was imported: try again in a moment")


class InvalidCatalogFile(CatalogError):
    """A file with any invalid row; nothing from it was applied."""

    def __init__(self, errors: list[RowError], source: str = "") -> None:
        self.errors = errors
        self.source = source
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  {e}" for e in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{head}{len(errors)} error(s); nothing was imported\n{lines}{more}")
