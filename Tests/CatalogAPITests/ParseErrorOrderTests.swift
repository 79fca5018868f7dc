import CatalogAPI
import Foundation
import Testing

/// Refusals of bytes the HTTP parser cannot read come after the answers they follow, as problem+json, and nothing
/// comes after them (RFC 9112 §9.3.2: answers in request order on one connection).
@Suite("Parse errors are answered in order, as problems, and end the connection")
struct ParseErrorOrderTests {
    /// Status lines and Content-Types of every answer in `text`, in order.
    static func answers(_ text: String) -> [(status: Int, contentType: String)] {
        text.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { answer in
            guard let status = Int(answer.prefix(3)) else { return nil }
            let contentType = answer.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("content-type:") }
            return (status, contentType.map { String($0.dropFirst(13)).trimmingCharacters(in: .whitespaces) } ?? "")
        }
    }

    /// Pipelined: two good requests, then a head with a control byte. Before, the refusal took the second answer's
    /// place and that answer was lost.
    @Test func aRefusalWaitsForTheAnswersBeforeIt() async throws {
        try await TestService.runLive { port, _, _ in
            let requests = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /admin/preview HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nX-Bad: a\u{01}b\r\n\r\n"
            let answers = Self.answers(try await RawHTTP.exchange(port: port, Array(requests.utf8)))
            #expect(answers.map(\.status) == [200, 401, 400])
            #expect(answers.last?.contentType == "application/problem+json")
        }
    }

    /// Found by the whole-service fuzzer: an upload refused before its body is read (wrong token), whose body runs
    /// on past its Content-Length into bytes that are no request. The 401, then a problem 400 — not the
    /// framework's empty 400.
    @Test func bytesAfterARefusedUploadGetAProblem() async throws {
        try await TestService.runLive { port, _, _ in
            let body = #"{"id":"evil","stickers":[]}"# + "\u{0}\u{0}\u{0} trailing garbage\r\n\r\n"
            let request = "POST /v1/admin/packs HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer wrong-token-0123456789\r\nContent-Length: 27\r\n\r\n" + body
            let answers = Self.answers(try await RawHTTP.exchange(port: port, Array(request.utf8)))
            #expect(answers.map(\.status) == [401, 400])
            #expect(answers.allSatisfy { $0.contentType == "application/problem+json" }, "\(answers)")
        }
    }

    /// Bad chunk framing inside a body being read: that request is answered 400 (problem) and the connection ends,
    /// with no second answer.
    @Test func aBrokenChunkFailsItsOwnRequestOnce() async throws {
        try await TestService.runLive { port, _, _ in
            let request = "POST /v1/admin/packs HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(TestService.adminToken)\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"id\r\nZZ\r\n"
            let answers = Self.answers(try await RawHTTP.exchange(port: port, Array(request.utf8)))
            #expect(answers.map(\.status) == [400])
            #expect(answers.first?.contentType == "application/problem+json")
        }
    }

    /// Found by the whole-service fuzzer: a GET whose chunked body is broken. The framework answered its own empty
    /// 400 before the route ran; now the request is refused once, as a problem.
    @Test func aBrokenChunkOnARequestThatIgnoresItsBodyIsRefusedOnce() async throws {
        try await TestService.runLive { port, _, _ in
            let request: [UInt8] = Array("GET /v1/catalog/packs/blobs HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + [0x8B, 0x43, 0xFF, 0x00, 0x04, 0x2A]
            let answers = Self.answers(try await RawHTTP.exchange(port: port, request))
            #expect(answers.map(\.status) == [400])
            #expect(answers.first?.contentType == "application/problem+json")
        }
    }
}
