import CatalogCore
import CatalogStore
import Foundation
import Hummingbird
import OpenIMContent

/// `GET /v1/admin/stats/stickers`: sends per sticker and per GIF provider over a range of UTC days.
struct UsageStatsController {
    let repository: any UsageRepository
    let snapshots: CatalogSnapshotStore

    func routes() -> [Route] {
        [Route(.get, "/v1/admin/stats/stickers", .admin) { request, _ in try await self.stickers(request) }]
    }

    func stickers(_ request: Request) async throws -> Response {
        let (from, to) = try DayRange.parse(request)
        var limit = 100
        if let text = request.uri.queryParameters.get("limit") {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw Problem.badRequest("limit must be a number from 1 to 1000.", errors: [FieldIssue(field: "limit", message: "must be 1–1000")])
            }
            limit = value
        }
        let stats = try await repository.stats(from: ISO8601.day(from), to: ISO8601.day(to), limit: limit)
        let snapshot = snapshots.current
        var writer = JSONWriter(capacity: 512 + stats.stickers.count * 96)
        writer.object { object in
            object.member("from", ISO8601.day(from))
            object.member("gifs") { list in
                list.array(stats.gifs) { array, row in
                    array.object { item in
                        item.member("provider", row.provider)
                        item.member("sends", row.sends)
                    }
                }
            }
            object.member("stickers") { list in
                list.array(stats.stickers) { array, row in
                    array.object { item in
                        // The pack as the catalog has it now; absent when the sticker is no longer published.
                        item.member("packId", snapshot?.stickers[row.stickerId]?.packId)
                        item.member("sends", row.sends)
                        item.member("stickerId", row.stickerId)
                    }
                }
            }
            object.member("to", ISO8601.day(to))
        }
        return JSONRequest.response(writer.bytes)
    }
}
