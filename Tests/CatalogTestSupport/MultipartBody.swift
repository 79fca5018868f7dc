/// Builds multipart/form-data bodies the way curl -F does.
public struct MultipartBody {
    public let boundary: String
    public private(set) var bytes: [UInt8] = []

    public init(boundary: String = "----catalog-test-boundary-7f3a") {
        self.boundary = boundary
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Adds a part.
    public mutating func add(name: String, fileName: String? = nil, contentType: String? = nil, _ data: [UInt8]) {
        var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
        if let fileName { head += "; filename=\"\(fileName)\"" }
        head += "\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        head += "\r\n"
        bytes += Array(head.utf8) + data + Array("\r\n".utf8)
    }

    /// Adds a file part named after its file, as `curl -F wave.webp=@wave.webp` sends it.
    public mutating func addFile(_ name: String, _ data: [UInt8], contentType: String? = "application/octet-stream") {
        add(name: name, fileName: name, contentType: contentType, data)
    }

    /// The finished body, with the closing delimiter.
    public var finished: [UInt8] { bytes + Array("--\(boundary)--\r\n".utf8) }
}
