@testable import CatalogAPI
import CatalogStore
import Foundation
import Testing

@Suite("openapi.yaml documents exactly the routes the router serves")
struct OpenAPIRouteTests {
    /// `METHOD /path` for every operation in openapi.yaml (the file is written with two-space indentation:
    /// paths at two spaces, operations at four).
    static func documentedOperations() throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var operations = Set<String>()
        var inPaths = false
        var path: String?
        let methods: Set<String> = ["get", "put", "post", "patch", "delete", "head", "options"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.hasPrefix(" "), !line.isEmpty { inPaths = false; continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let name = String(line.dropFirst(4).dropLast())
                if methods.contains(name), let path { operations.insert("\(name.uppercased()) \(path)") }
            }
        }
        return operations
    }

    static func routedOperations() throws -> Set<String> {
        try routes().router
    }

    /// The router's operations and the byte lane's, as `METHOD /path`.
    static func routes() throws -> (router: Set<String>, lane: Set<String>) {
        let database = CatalogDatabase(url: try DatabaseURL("postgres://nobody@127.0.0.1:1/none"), logger: TestService.logger)
        let configuration = TestService.configuration(database: database.url)
        let components = CatalogServiceComponents(
            database: database, packs: PostgresPackRepository(database: database), media: PostgresMediaRepository(database: database), libraries: PostgresLibraryRepository(database: database),
            usage: UsageRecorder(repository: PostgresUsageRepository(database: database)), snapshots: CatalogSnapshotStore(),
            configuration: configuration, laneAnswers: AnswerCounter(), accessLog: AccessLog(logger: TestService.logger)
        )
        let (router, lane) = buildRouter(components: components)
        return (
            Set(router.routes.map { "\($0.method.rawValue) \(Self.openAPIPath($0.path.description))" }),
            Set(lane.flatMap { route in route.methods.map { "\($0.rawValue) \(route.pattern)" } })
        )
    }

    /// Hummingbird prints captures as `:name` or `{name}`; OpenAPI writes `{name}`.
    static func openAPIPath(_ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }
        let joined = segments.joined(separator: "/")
        return joined.hasPrefix("/") ? joined : "/" + joined
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
        let documented = try Self.documentedOperations()
        let routed = try Self.routedOperations()
        #expect(!routed.isEmpty)
        #expect(routed.subtracting(documented).sorted() == [], "served but not in openapi.yaml")
        #expect(documented.subtracting(routed).sorted() == [], "in openapi.yaml but not served")
    }

    /// The fast lane only ever answers what the router also serves (and what openapi.yaml documents).
    @Test func everyFastRouteIsARouterRoute() throws {
        let (router, lane) = try Self.routes()
        #expect(lane.count >= 8, "\(lane.sorted())")
        #expect(lane.subtracting(router).sorted() == [], "on the fast lane but not on the router")
    }
}
