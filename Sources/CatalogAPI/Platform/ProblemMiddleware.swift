import HTTPTypes
import Foundation
import CatalogCore
import CatalogStore
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Turns every error into a problem+json response, so no error path answers in another shape, and logs the ones
/// that are the service's fault (type only: no SQL text, no token, no stack trace).
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Self.problem(for: error, logger: context.logger)
            return try problem.response(from: request, context: context)
        }
    }

    static func problem(for error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let validation as PackValidationError:
            return Problem(validation)
        case let store as StoreError:
            switch store {
            case .notFound(let what): return .notFound("\(what) does not exist")
            case .preconditionFailed(let eTag): return .preconditionFailed(currentETag: eTag)
            case .conflict(let issues): return .conflict(issues)
            case .invalid(let issues): return .validation(issues)
            case .invalidCursor: return .badRequest("cursor is not a cursor this service issued.", errors: [FieldIssue(field: "cursor", message: "is not a cursor this service issued")])
            case .unavailable: return .unavailable("The database is unreachable; retry shortly.")
            }
        case let parse as HTTPParserError:
            // The head was fine, the body was not (bad chunk framing): the client's fault, and the connection ends.
            return .badRequest("The request body is not valid HTTP/1.1 framing (\(parse)).")
        case is NIOTooManyBytesError:
            return .payloadTooLarge(limit: CatalogLimits.maximumUploadBytes)
        case let http as HTTPError:
            if http.status == .notFound { return .notFound(http.body ?? "No route matches this method and path.") }
            return Problem(http.status, detail: http.body)
        default:
            logger.error("request failed", metadata: ["error.type": .string(String(describing: type(of: error))), "sqlstate": .string(CatalogDatabase.sqlState(error) ?? "-")])
            return .internalError
        }
    }
}

/// Gives each request an id (`X-Request-Id`, honoured when sane, else generated), echoes it, and logs one line per
/// request with the route *pattern* — never the raw path, which for webhooks holds a secret.
struct RequestLoggingMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let accessLog: AccessLog

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        let incoming = request.headers[.xRequestID]
        let id = incoming.flatMap { Self.isSane($0) ? $0 : nil } ?? Self.generateID()
        context.requestID = id
        context.logger[metadataKey: "request.id"] = .string(id)
        let start = DispatchTime.now().uptimeNanoseconds
        var response = try await next(request, context)
        response.headers[.xRequestID] = id
        accessLog.record(
            method: request.method, route: context.endpointPath ?? "unmatched", status: response.status.code,
            nanoseconds: DispatchTime.now().uptimeNanoseconds - start
        ) { $0.append(contentsOf: id.utf8) }
        return response
    }

    static func isSane(_ id: String) -> Bool { isSane(id.utf8) }

    /// 1 to 128 of `A-Z a-z 0-9 - _ .`
    static func isSane<Bytes: Collection<UInt8>>(_ id: Bytes) -> Bool {
        (1...128).contains(id.count) && id.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }

    /// A process-unique request id: 16 random hex digits drawn once at start-up, a dash, and a counter.
    ///
    /// Drawing 16 random bytes per request cost a `getrandom` system call each (about 5 % of a request's CPU);
    /// ids only need to be unique and recognisable across replicas, not unpredictable.
    static func generateID() -> String {
        id(requestCounter.add(1, ordering: .relaxed).newValue)
    }

    /// `count` sequence numbers no other request gets, for a connection to number its requests without touching the
    /// shared counter each time.
    static func reserveIDs(_ count: UInt64) -> ClosedRange<UInt64> {
        let last = requestCounter.add(count, ordering: .relaxed).newValue
        return (last - count + 1)...last
    }

    /// The id with sequence number `sequence`, as text.
    static func id(_ sequence: UInt64) -> String {
        var buffer = ByteBuffer()
        writeID(sequence, into: &buffer)
        return String(buffer: buffer)
    }

    /// The id with sequence number `sequence`, as text appended to `text`.
    static func writeID(_ sequence: UInt64, into text: inout [UInt8]) {
        var buffer = ByteBuffer()
        writeID(sequence, into: &buffer)
        text.append(contentsOf: buffer.readableBytesView)
    }

    /// The id with sequence number `sequence`.
    static func writeID(_ sequence: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeString(processPrefix)
        buffer.writeInteger(UInt8(ascii: "-"))
        let digits = max(1, (UInt64.bitWidth - sequence.leadingZeroBitCount + 3) / 4)
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            buffer.writeInteger(hexDigits[Int((sequence >> UInt64(shift)) & 0xF)])
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static let processPrefix: String = {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next()
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }()
}

/// Requests this process has numbered.
let requestCounter = Atomic<UInt64>(0)

extension HTTPField.Name {
    static let xRequestID = HTTPField.Name("X-Request-Id")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let accessControlAllowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    static let accessControlExposeHeaders = HTTPField.Name("Access-Control-Expose-Headers")!
    static let accessControlAllowMethods = HTTPField.Name("Access-Control-Allow-Methods")!
    static let accessControlAllowHeaders = HTTPField.Name("Access-Control-Allow-Headers")!
    static let accessControlMaxAge = HTTPField.Name("Access-Control-Max-Age")!
    static let catalogVersion = HTTPField.Name("Catalog-Version")!
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
}

extension Duration {
    /// The duration in milliseconds, for log lines.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
