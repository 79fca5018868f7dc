@testable import CatalogAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// A client's request headers, from Benchmarks/client-profiles.txt (the benchmark reads the same file).
struct ClientProfile: Sendable, CustomStringConvertible {
    var name: String
    var isHTTP10: Bool
    var headers: [String]

    var description: String { name }

    /// Persistent after the answer (RFC 9112 §9.3).
    var keepsConnection: Bool {
        let connection = headers.first { $0.lowercased().hasPrefix("connection:") }?.lowercased() ?? ""
        return isHTTP10 ? connection.contains("keep-alive") : !connection.contains("close")
    }

    static let all: [ClientProfile] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Benchmarks/client-profiles.txt")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var profiles: [ClientProfile] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            if line.hasPrefix("[") {
                profiles.append(ClientProfile(name: String(line.dropFirst().dropLast()), isHTTP10: false, headers: []))
            } else if line == "version: 1.0" {
                profiles[profiles.count - 1].isHTTP10 = true
            } else if !line.isEmpty {
                profiles[profiles.count - 1].headers.append(String(line))
            }
        }
        return profiles
    }()

    /// The request this client sends: its headers with `replacing` fields swapped in (nil removes the field).
    func request(_ method: String, _ target: String, replacing: [String: String?] = [:], body: String? = nil) -> String {
        var lines = headers.filter { line in !replacing.keys.contains { line.lowercased().hasPrefix($0.lowercased() + ":") } }
        for (name, value) in replacing.sorted(by: { $0.key < $1.key }) { if let value { lines.append("\(name): \(value)") } }
        if let body { lines.append("Content-Length: \(body.utf8.count)") }
        return "\(method) \(target) HTTP/\(isHTTP10 ? "1.0" : "1.1")\r\nHost: 127.0.0.1\r\n" + lines.map { $0 + "\r\n" }.joined() + "\r\n" + (body ?? "")
    }
}

/// The tests send requests as the clients that fetch catalogs really do — each profile of client-profiles.txt —
/// and a profile answered by a slower path than the byte lane fails: every profile's 304, gzip and identity reads of
/// the catalog, a pack and the GIF configuration, and the gateway's and OpenIM's posts with Go's headers, are
/// answered by the lane, as the router answers them, keeping or closing the connection as the profile asks.
@Suite("Client profiles: what real clients send takes the fast path")
struct ClientProfileTests {
    @Test func everyProfileIsAnsweredByTheLane() async throws {
        let profiles = ClientProfile.all
        try #require(profiles.count >= 8, "client-profiles.txt was not read")
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let content = try await WebhookTests.stickerContent(client, "pk-s0")
            for profile in profiles {
                var requests: [(String, String)] = []
                for target in ["/v1/catalog", "/v1/catalog/packs/pk", "/v1/gif-config"] {
                    // The profile's own Accept-Encoding for gzip (curl, which sends none, asks for gzip).
                    var gzip: [String: String?] = profile.headers.contains { $0.hasPrefix("Accept-Encoding") } ? [:] : ["Accept-Encoding": "gzip"]
                    let coded = profile.request("GET", target, replacing: gzip)
                    gzip["If-None-Match"] = try #require(try await Self.answer(port: port, coded, profile: profile).header("etag"))
                    requests += [
                        ("identity \(target)", profile.request("GET", target, replacing: ["Accept-Encoding": nil])), ("gzip \(target)", coded),
                        ("304 \(target)", profile.request("GET", target, replacing: gzip)),
                    ]
                }
                let resolve = #"{"items":[{"kind":"sticker","id":"pk-s0"}]}"#
                requests.append(("resolve", profile.request("POST", "/v1/resolve", replacing: ["Authorization": "Bearer \(TestService.gatewayToken)", "Content-Type": "application/json"], body: resolve)))
                let webhook = WebhookTests.callback("callbackBeforeSendGroupMsgCommand", contentType: 110, content: content)
                requests.append(("webhook", profile.request(
                    "POST", "/v1/openim/callbacks/\(TestService.webhookSecret)/callbackBeforeSendGroupMsgCommand", replacing: ["Content-Type": "application/json; charset=utf-8"], body: webhook
                )))
                for (name, request) in requests {
                    let before = components.laneAnswers.value
                    let answer = try await Self.answer(port: port, request, profile: profile)
                    #expect(components.laneAnswers.value == before + 1, "\(profile) \(name): not answered by the byte lane")
                    #expect([200, 304].contains(answer.status), "\(profile) \(name): \(answer.status)")
                    if name.hasPrefix("304") { #expect(answer.status == 304, "\(profile) \(name)") }
                    if name.hasPrefix("gzip") { #expect(answer.header("content-encoding") == "gzip", "\(profile) \(name)") }
                    if name.hasPrefix("identity") { #expect(answer.header("content-encoding") == nil, "\(profile) \(name)") }
                    // The router's answer to the same request (ignoring the Connection field, which follows the framing).
                    let routed = try await Self.answer(port: port, ByteLaneTests.routerVariant(request), profile: profile)
                    #expect(components.laneAnswers.value == before + 1, "\(profile) \(name): the router variant was answered by the lane")
                    #expect(answer == routed, "\(profile) \(name): lane \(answer.comparableHeaders) vs router \(routed.comparableHeaders)")
                }
            }
        }
    }

    /// One request on a connection of its own: its answer, and the connection kept or closed as the profile asks
    /// (a kept connection answers a health check after it).
    static func answer(port: Int, _ request: String, profile: ClientProfile) async throws -> RawResponse {
        let raw = try RawHTTP(port: port)
        let keeps = profile.keepsConnection
        let outcome = try await RawHTTP.offThread { () -> (RawResponse?, String?) in
            try raw.sendBlocking(Array(request.utf8))
            let answer = try raw.readOneResponse()
            if keeps {
                try raw.sendBlocking(Array("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
                guard (try? raw.readOneResponse())?.status == 200 else { return (answer, "the connection did not stay open") }
            } else {
                let (rest, ended) = raw.readBlocking { _ in false }
                guard ended == .closed, rest.isEmpty else { return (answer, "the connection was not closed after the answer (\(ended), \(rest.count) bytes)") }
            }
            return (answer, nil)
        }
        if let problem = outcome.1 { Issue.record("\(profile): \(problem)") }
        return try #require(outcome.0)
    }
}
