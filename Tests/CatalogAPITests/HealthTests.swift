import CatalogAPI
import CatalogStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import OpenIMContent
import Testing

@Suite("Health, readiness, metrics and problem+json")
struct HealthTests {
    @Test func healthzReadyzAndMetrics() async throws {
        try await TestService.run { client, _ in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(health.text == #"{"status":"ok"}"#)

            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            let readyJSON = try JSONParser.parse(ready.text)
            #expect(readyJSON["status"] == .string("ready"))
            #expect(readyJSON["database"] == .string("up"))

            _ = try await client.execute(uri: "/v1/catalog", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains("catalog_db_pool_max_connections 5"))
            #expect(metrics.text.contains("catalog_db_operations_in_flight"))
            #expect(metrics.text.contains(#"http_route="/v1/catalog""#))
            #expect(metrics.text.contains("hb_requests"))
        }
    }

    @Test func readyzIsUnavailableWithoutTheDatabase() async throws {
        // Nothing listens on port 1: the pool cannot connect and no snapshot can load.
        let unreachable = try DatabaseURL("postgres://postgres@127.0.0.1:1/none")
        try await TestService.serve(TestService.configuration(database: unreachable), runMigrations: false) { port, _ in
            let client = TestService.DeadlineClient(port: port)
            let ready: TestResponse, catalog: TestResponse
            do {
                ready = try await client.execute(uri: "/readyz", method: .get)
                catalog = try await client.execute(uri: "/v1/catalog", method: .get)
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
            #expect(ready.status == .serviceUnavailable)
            let json = try JSONParser.parse(ready.text)
            #expect(json["status"] == .string("starting"))
            #expect(json["database"] == .string("unreachable"))
            #expect(json["catalogVersion"] == .null)
            #expect(json["reason"] != nil)
            #expect(catalog.status == .serviceUnavailable)
            #expect(catalog.headers[.contentType] == "application/problem+json")
        }
    }

    /// Graceful shutdown takes the replica out of rotation; the requests it already has still complete.
    @Test func readyzIsUnavailableWhileDraining() async throws {
        try await TestService.run { client, components in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.json["status"] == .string("ready"))
            #expect(ready.json["catalogVersion"] != .null)
            #expect(ready.json["snapshotAgeSeconds"] != .null)
            components.drain.beginDraining()
            let draining = try await client.execute(uri: "/readyz", method: .get)
            #expect(draining.status == .serviceUnavailable)
            #expect(draining.json["status"] == .string("draining"))
            #expect(try await client.execute(uri: "/v1/catalog", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func unknownRoutesAnswerProblemJSON() async throws {
        try await TestService.run { client, _ in
            let response = try await client.execute(uri: "/no/such/route", method: .get, headers: [.init("X-Request-Id")!: "trace-123"])
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.headers[.init("X-Request-Id")!] == "trace-123")
            let json = try JSONParser.parse(response.text)
            #expect(json["status"] == .integer(404))
            #expect(json["title"] != nil)
            #expect(json["type"] != nil)
            // An insane id is replaced by a generated one: 16 hex digits for the process, a dash, a counter.
            let generated = try await client.execute(uri: "/healthz", method: .get, headers: [.init("X-Request-Id")!: "bad id with spaces"])
            let again = try await client.execute(uri: "/healthz", method: .get)
            let first = try #require(generated.headers[.init("X-Request-Id")!])
            let second = try #require(again.headers[.init("X-Request-Id")!])
            #expect(first != second)
            for id in [first, second] {
                let parts = id.split(separator: "-")
                #expect(parts.count == 2 && parts[0].count == 16 && parts.allSatisfy { $0.allSatisfy(\.isHexDigit) }, "\(id)")
            }
            #expect(first.prefix(16) == second.prefix(16))
        }
    }
}
