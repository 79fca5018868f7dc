import CatalogCore
import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore

/// Where a prepared representation comes from: a representation of the current snapshot (by the pattern's
/// placeholder, if any), answered through the responder.
struct PreparedSource: Sendable {
    typealias Representation = (PreparedRepresentation, lastModified: (header: String, date: Date)?)
    let snapshots: CatalogSnapshotStore
    let responder: RepresentationResponder
    let representation: @Sendable (_ snapshot: CatalogSnapshot, _ key: String) -> Representation?
}
