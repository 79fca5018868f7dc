import CatalogCore
import Foundation
import Hummingbird

/// The `from`/`to` day range of the stats routes.
enum DayRange {
    /// `from` and `to` query days (both included, required, at most 366 days apart), as UTC midnights.
    static func parse(_ request: Request) throws -> (from: Date, to: Date) {
        let query = request.uri.queryParameters
        var dates: [Date] = []
        for name in ["from", "to"] {
            guard let text = query.get(name) else {
                throw Problem.badRequest("from and to are required: days such as from=2026-11-01&to=2026-11-30.", errors: [FieldIssue(field: name, message: "is required")])
            }
            guard let date = ISO8601.parseDay(text) else {
                throw Problem.badRequest("\(name) must be a day such as 2026-11-01.", errors: [FieldIssue(field: name, message: "must be YYYY-MM-DD")])
            }
            dates.append(date)
        }
        let days = Int(dates[1].timeIntervalSince(dates[0]) / 86_400) + 1
        guard (1...366).contains(days) else {
            throw Problem.badRequest("The range must cover 1 to 366 days.", errors: [FieldIssue(field: "to", message: "must be on or after from, at most 366 days later")])
        }
        return (dates[0], dates[1])
    }

}
