import CatalogCore

/// Why a store operation did not happen. Nothing was written in any of these cases.
public enum StoreError: Error, Equatable, Sendable {
    /// No such entity (the text names it, e.g. `pack cats`).
    case notFound(String)
    /// `If-Match` named a stale revision; carries the current ETag.
    case preconditionFailed(currentETag: String)
    /// Ids collide with stored ones.
    case conflict([FieldIssue])
    /// The request is well-formed but breaks a rule only the database can check.
    case invalid([FieldIssue])
    /// A pagination cursor this service did not issue (a malformed request: 400).
    case invalidCursor
    /// PostgreSQL cannot be reached.
    case unavailable
}
