import CatalogAPI
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Methods: 405 with Allow on known paths, HEAD wherever GET is")
struct HTTPMethodTests {
    @Test(arguments: [
        ("/v1/catalog", HTTPRequest.Method.patch, "GET, HEAD, OPTIONS"),
        ("/v1/catalog/packs/blobs", .post, "GET, HEAD, OPTIONS"),
        ("/healthz", .delete, "GET, HEAD"),
        ("/v1/resolve", .get, "POST"),
        ("/v1/openim/callbacks/any-secret/any-command", .get, "POST"),
        ("/v1/admin/packs/cats", .post, "DELETE, GET, HEAD, PATCH, PUT"),
        // The literal route wins over /packs/{id}, as in the router.
        ("/v1/admin/packs/order", .get, "PUT"),
    ])
    func aKnownPathWithAnotherMethodIs405(path: String, method: HTTPRequest.Method, allow: String) async throws {
        try await TestService.run { client, _ in
            let response = try await client.execute(uri: path, method: method, headers: .admin())
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == allow)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.json["status"] == .integer(405))
        }
    }

    @Test func unknownPathsStay404() async throws {
        try await TestService.run { client, _ in
            let response = try await client.execute(uri: "/v1/no-such-thing", method: .patch)
            #expect(response.status == .notFound)
        }
    }

    /// HEAD is GET's head without the body (RFC 9110 §9.3.2), for routes that declare only GET.
    @Test(arguments: ["/healthz", "/readyz", "/metrics", "/v1/catalog/changes?since=0"])
    func headAnswersWhereverGetDoes(path: String) async throws {
        try await TestService.run { client, _ in
            let get = try await client.execute(uri: path, method: .get)
            let head = try await client.execute(uri: path, method: .head)
            #expect(head.status == get.status)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == get.headers[.contentType])
            // Metrics grow between the two requests, and readiness reports ages in seconds, whose digits change (run
            // 3 of a 30-run attempt: "databaseStateSeconds" went from 9 to 10 between the GET and the HEAD).
            if !path.hasPrefix("/metrics"), path != "/readyz" {
                #expect(head.headers[.contentLength] == get.headers[.contentLength] || head.headers[.contentLength] == nil)
            }
        }
    }
}
