import FuzzRequests
#if canImport(Glibc)
import Glibc
#endif

/// One request sent to the service under fuzz on a connection of its own, followed by a `Connection: close`
/// probe of `/healthz`, and everything the service answered until it closed the connection.
struct Exchange {
    /// What came back: the status and Content-Type of each answer, in order.
    struct Answer { var status: Int; var contentType: String }

    static let probe = Array("GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n".utf8)

    /// Why a connection could not be made (errno of each attempt).
    struct ConnectFailure: Error { var errors: [Int32] }

    /// A connected socket, retrying a refused or failed connect a few times (a busy listener's backlog).
    static func connected(port: Int) -> Result<Int32, ConnectFailure> {
        var errors: [Int32] = []
        for attempt in 0..<5 {
            if attempt > 0 { usleep(200_000) }
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { errors.append(errno); continue }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if result == 0 { return .success(descriptor) }
            errors.append(errno)
            close(descriptor)
        }
        return .failure(ConnectFailure(errors: errors))
    }

    /// Sends `request` (and the probe) and reads until the connection closes or `timeout` seconds pass.
    static func run(port: Int, request: [UInt8], timeout: Int = 10) -> Result<(answers: [Answer], timedOut: Bool), ConnectFailure> {
        let descriptor: Int32
        switch connected(port: port) {
        case .success(let socket): descriptor = socket
        case .failure(let failure): return .failure(failure)
        }
        defer { close(descriptor) }
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // The service may answer and close before reading everything (a refused head): a failed write is fine.
        _ = writeAll(descriptor, request + probe)
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var timedOut = false
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { received += chunk[0..<count]; continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { timedOut = true }
            break
        }
        return .success((answers(in: received, firstIsHead: request.starts(with: Array("HEAD ".utf8))), timedOut))
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// Reads status lines and framing (Content-Length or chunked; none for 1xx, 204, 304 and HEAD) to find each answer.
    static func answers(in bytes: [UInt8], firstIsHead: Bool) -> [Answer] {
        var answers: [Answer] = []
        var position = 0
        while position < bytes.count, let headEnd = Bytes.find([0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: position) {
            let lines = Bytes.split(Array(bytes[position..<headEnd]), on: [0x0D, 0x0A])
            let statusLine = Bytes.text(lines[0])
            guard statusLine.hasPrefix("HTTP/1."), let status = Int(statusLine.dropFirst(9).prefix(3)) else { break }
            var fields: [String: String] = [:]
            for line in lines.dropFirst() {
                let text = Bytes.text(line)
                guard let colon = text.firstIndex(of: ":") else { continue }
                fields[text[..<colon].lowercased()] = text[text.index(after: colon)...].trimmingPrefix(" ").description
            }
            answers.append(Answer(status: status, contentType: fields["content-type"] ?? ""))
            position = headEnd + 4
            let bodiless = (100..<200).contains(status) || status == 204 || status == 304 || (answers.count == 1 && firstIsHead)
            if bodiless { continue }
            if let length = fields["content-length"].flatMap(Int.init) {
                position += length
            } else if fields["transfer-encoding"]?.lowercased().contains("chunked") == true {
                while let sizeEnd = Bytes.find([0x0D, 0x0A], in: bytes, from: position),
                      let size = Int(Bytes.text(Array(bytes[position..<sizeEnd])).split(separator: ";").first ?? "", radix: 16) {
                    position = sizeEnd + 2 + size + 2
                    if size == 0 { break }
                }
            } else {
                break
            }
        }
        return answers
    }
}
