import CatalogAPI
import CatalogCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Synchronization
import Testing

@Suite("Concurrent writers and readers: no gaps, no torn snapshots")
struct ConcurrencyTests {
    /// Each upload on a connection of its own, so the service really runs them at once (the suite's client has
    /// one connection: uploads sent through it were answered one after another, and under a loaded full run the
    /// last of them waited past the client's 20 s timeout). Twenty uploads at once on two cores, beside the rest of a
    /// parallel run, take longer than the raw client's usual 10 s: this test is about what is stored, not how fast,
    /// so the answer may take two minutes. A 503 (no pooled connection within 15 s: twenty writers on a pool of
    /// five, on a loaded machine) is the service shedding load as designed; the client retries it after its
    /// `Retry-After`, as a real one would, and the 503 must have stored nothing (the counts below check it).
    static func upload(port: Int, index: Int) async throws -> HTTPResponse.Status? {
        let body = PackUploads.multipart(manifest: PackUploads.manifest(id: "load-\(index)", count: 3), files: PackUploads.standardFiles(count: 3, offset: index * 7))
        let head = "POST /v1/admin/packs HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(TestService.adminToken)\r\nContent-Type: \(body.contentType)\r\nContent-Length: \(body.finished.count)\r\nConnection: close\r\n\r\n"
        var status: HTTPResponse.Status?
        for attempt in 0..<4 {
            if attempt > 0 { try await Task.sleep(for: .seconds(1)) }
            let answer = try await RawHTTP.exchange(port: port, Array(head.utf8) + body.finished)
            status = Int(answer.dropFirst(9).prefix(3)).map { HTTPResponse.Status(code: $0) }
            guard status == .serviceUnavailable else { break }
            #expect(answer.lowercased().contains("\r\nretry-after: "), "a 503 without Retry-After")
        }
        return status
    }

    @Test func twentyConcurrentUploadsWhileClientsRead() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.runLive(database: database, idleTimeout: nil) { port, client, components in
            let start = try #require(components.snapshots.current?.version)
            let seen = Collected()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status?.self) { group in
                for index in 0..<20 {
                    group.addTask { try await Self.upload(port: port, index: index) ?? .internalServerError }
                }
                // Readers keep fetching the catalog while the uploads run.
                for _ in 0..<3 {
                    group.addTask {
                        while !seen.isDone {
                            let response = try await client.execute(uri: "/v1/catalog", method: .get)
                            #expect(response.status == .ok)
                            seen.add(response.json)
                            try await Task.sleep(for: .milliseconds(5))
                        }
                        return nil
                    }
                }
                var statuses: [HTTPResponse.Status] = []
                var finishedUploads = 0
                for try await status in group {
                    guard let status else { continue }
                    statuses.append(status)
                    finishedUploads += 1
                    if finishedUploads == 20 { seen.finish() }
                }
                return statuses
            }
            #expect(statuses.count == 20)
            #expect(statuses.allSatisfy { $0 == .created }, "\(statuses)")

            // Every upload is present, and the change log has one version per write with no gaps.
            let packs = try await TestService.query(database, "SELECT count(*) FROM sticker_packs WHERE id LIKE 'load-%'", as: Int64.self)
            #expect(packs == [20])
            let versions = try await TestService.query(database, "SELECT DISTINCT version FROM catalog_changes WHERE version > \(start) ORDER BY version", as: Int64.self)
            #expect(versions == Array((start + 1)...(start + 20)))
            let current = try await TestService.query(database, "SELECT version FROM catalog_state", as: Int64.self)
            #expect(current == [start + 20])

            // Every catalog a client saw was whole: each pack lists all three stickers, each asset exists.
            let assets = Set(try await TestService.query(database, "SELECT sha256 FROM assets", as: String.self))
            let snapshots = seen.values
            #expect(!snapshots.isEmpty)
            for catalog in snapshots {
                guard case .integer? = catalog["version"], case .array(let packList)? = catalog["packs"] else {
                    Issue.record("not a catalog")
                    continue
                }
                for pack in packList {
                    guard case .string(let id)? = pack["id"], case .array(let stickers)? = pack["stickers"] else { continue }
                    if id.hasPrefix("load-") { #expect(stickers.count == 3, "pack \(id) was served half-written") }
                    for sticker in stickers {
                        guard case .string(let url)? = sticker["url"] else { continue }
                        let sha = String(url.split(separator: "/").last?.split(separator: ".").first ?? "")
                        #expect(assets.contains(sha), "pack \(id) refers to a missing asset \(sha)")
                    }
                }
            }
        }
    }
}

/// Catalogs the readers saw, and whether the writers are done.
final class Collected: Sendable {
    private let state = Mutex<(values: [JSONValue], done: Bool)>(([], false))
    func add(_ value: JSONValue) { state.withLock { $0.values.append(value) } }
    func finish() { state.withLock { $0.done = true } }
    var isDone: Bool { state.withLock { $0.done } }
    var values: [JSONValue] { state.withLock { $0.values } }
}
