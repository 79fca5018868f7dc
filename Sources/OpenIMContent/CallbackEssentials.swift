/// What the service judges a webhook by — the message's content type and content, its ids and send time — read
/// straight from the body's bytes without building the document.
///
/// It accepts exactly what `CallbackRequest(bytes:)` accepts (tested on fixtures and mutations of them): the body
/// must be one strict RFC 8259 object with no duplicate names at any depth, and every field `CallbackRequest`
/// reads must have its type and range. Every member is checked; only these six are kept as values. Building the
/// whole document for each before-send callback was most of that path's cost.
///
/// The content is kept as written — its JSON string literal — and unescaped only when asked for: equal literals are
/// equal contents, so a judgement remembered by literal needs no unescaping at all.
public struct CallbackEssentials: Sendable, Equatable {
    public var contentType: Int32
    /// The content member as the body wrote it: a JSON string literal, quotes and escapes included (`""` when the
    /// member is absent or null).
    public var contentLiteral: [UInt8]
    public var serverMsgID: String
    public var clientMsgID: String
    public var sendTime: Int64
    /// The sender's user id (`sendID`; empty when absent).
    public var sendID: String

    /// The stored content JSON, as a string (unescaped from `contentLiteral`).
    public var content: String {
        guard case .string(let text)? = try? JSONParser.parse(contentLiteral) else { return "" }
        return text
    }

    public init(contentType: Int32, content: String, serverMsgID: String, clientMsgID: String, sendTime: Int64, sendID: String = "") {
        var literal = JSONWriter(capacity: content.utf8.count + 16)
        literal.string(content)
        self.contentType = contentType
        self.contentLiteral = literal.bytes
        self.serverMsgID = serverMsgID
        self.clientMsgID = clientMsgID
        self.sendTime = sendTime
        self.sendID = sendID
    }

    /// Equal when the fields are: the content compared unescaped.
    public static func == (lhs: CallbackEssentials, rhs: CallbackEssentials) -> Bool {
        lhs.contentType == rhs.contentType && lhs.serverMsgID == rhs.serverMsgID && lhs.clientMsgID == rhs.clientMsgID && lhs.sendTime == rhs.sendTime
            && lhs.sendID == rhs.sendID
            && (lhs.contentLiteral == rhs.contentLiteral || lhs.content == rhs.content)
    }

    /// The same fields of a fully read request.
    public init(_ request: CallbackRequest) {
        self.init(
            contentType: request.contentType, content: request.content, serverMsgID: request.serverMsgID, clientMsgID: request.clientMsgID,
            sendTime: request.sendTime, sendID: request.sendID
        )
    }

    /// Reads a webhook body.
    public init(bytes: some Collection<UInt8>) throws(OpenIMContentError) {
        guard bytes.count <= CallbackRequest.maximumBodyBytes else {
            throw .tooLarge(field: "body", size: bytes.count, limit: CallbackRequest.maximumBodyBytes)
        }
        let read = { (buffer: UnsafeBufferPointer<UInt8>) in Result { () throws(OpenIMContentError) in try Self(buffer: buffer) } }
        if let result = bytes.withContiguousStorageIfAvailable(read) {
            self = try result.get()
        } else {
            self = try Array(bytes).withUnsafeBufferPointer(read).get()
        }
    }

    private init(buffer: UnsafeBufferPointer<UInt8>) throws(OpenIMContentError) {
        var cursor = JSONParser.Cursor(bytes: buffer)
        cursor.skipWhitespace()
        guard cursor.index < buffer.count, buffer[cursor.index] == UInt8(ascii: "{") else {
            // Not an object: whatever the full reader says (malformed JSON, or a document that is not an object).
            self = CallbackEssentials(try CallbackRequest(bytes: buffer))
            return
        }
        (contentType, contentLiteral, serverMsgID, clientMsgID, sendTime, sendID) = (0, Array(#""""#.utf8), "", "", 0, "")
        let int32Range = Int64(Int32.min)...Int64(Int32.max)
        try cursor.skimObject(depth: 0) { (name: UnsafeBufferPointer<UInt8>, cursor: inout JSONParser.Cursor) throws(OpenIMContentError) in
            // The fields CallbackRequest reads, with the types it requires; null reads as absent.
            guard let field = Field(name) else { return try cursor.skipValue(depth: 1) }
            if cursor.index < buffer.count, buffer[cursor.index] == UInt8(ascii: "n") { return try cursor.skipValue(depth: 1) }
            switch field {
            case .content:
                guard cursor.index < buffer.count, buffer[cursor.index] == UInt8(ascii: "\"") else {
                    _ = try FieldReader.string(try cursor.parseValue(depth: 1), field: "content")
                    return
                }
                let start = cursor.index
                try cursor.skipString()
                contentLiteral = Array(buffer[start..<cursor.index])
            case .serverMsgID: serverMsgID = try cursor.stringValue(field: "serverMsgID")
            case .clientMsgID: clientMsgID = try cursor.stringValue(field: "clientMsgID")
            case .contentType: contentType = Int32(try FieldReader.integer(try cursor.parseValue(depth: 1), field: "contentType", in: int32Range))
            case .sendTime: sendTime = try FieldReader.integer(try cursor.parseValue(depth: 1), field: "sendTime")
            case .sendID: sendID = try cursor.stringValue(field: "sendID")
            case .otherString(let name):
                guard cursor.index < buffer.count, buffer[cursor.index] == UInt8(ascii: "\"") else {
                    _ = try FieldReader.string(try cursor.parseValue(depth: 1), field: name)
                    return
                }
                try cursor.skipString()
            case .otherInt32(let name): _ = try FieldReader.integer(try cursor.parseValue(depth: 1), field: name, in: int32Range)
            case .otherInteger(let name): _ = try FieldReader.integer(try cursor.parseValue(depth: 1), field: name)
            }
        }
        cursor.skipWhitespace()
        guard cursor.index == buffer.count else { throw cursor.error("unexpected data after the document") }
    }

    /// The members `CallbackRequest` reads.
    private enum Field {
        case content, serverMsgID, clientMsgID, contentType, sendTime, sendID
        case otherString(String)
        case otherInt32(String)
        case otherInteger(String)

        init?(_ name: UnsafeBufferPointer<UInt8>) {
            func named(_ literal: StaticString) -> Bool {
                literal.utf8CodeUnitCount == name.count && name.elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
            }
            switch name.count {
            case 2 where named("ex"): self = .otherString("ex")
            case 6 where named("sendID"): self = .sendID
            case 6 where named("recvID"): self = .otherString("recvID")
            case 6 where named("status"): self = .otherInt32("status")
            case 7 where named("content"): self = .content
            case 7 where named("groupID"): self = .otherString("groupID")
            case 7 where named("msgFrom"): self = .otherInt32("msgFrom")
            case 8 where named("sendTime"): self = .sendTime
            case 10 where named("createTime"): self = .otherInteger("createTime")
            case 11 where named("serverMsgID"): self = .serverMsgID
            case 11 where named("clientMsgID"): self = .clientMsgID
            case 11 where named("contentType"): self = .contentType
            case 11 where named("operationID"): self = .otherString("operationID")
            case 11 where named("sessionType"): self = .otherInt32("sessionType")
            case 14 where named("senderNickname"): self = .otherString("senderNickname")
            case 15 where named("callbackCommand"): self = .otherString("callbackCommand")
            case 16 where named("senderPlatformID"): self = .otherInt32("senderPlatformID")
            default: return nil
            }
        }
    }
}

extension JSONParser.Cursor {
    /// A string value of a field that must be one.
    mutating func stringValue(field: String) throws(OpenIMContentError) -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return try FieldReader.string(try parseValue(depth: 1), field: field) }
        return try parseString()
    }

    /// Checks one value as `parseValue` reads it, building nothing.
    mutating func skipValue(depth: Int) throws(OpenIMContentError) {
        guard depth < depthLimit else { throw error("nesting deeper than \(depthLimit)") }
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try skimObject(depth: depth) { (_, cursor: inout JSONParser.Cursor) throws(OpenIMContentError) in try cursor.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): try skipString()
        default: _ = try parseValue(depth: depth)  // literals and numbers: nothing to allocate
        }
    }

    /// Checks a string as `parseString` reads it (escapes, surrogate pairs, UTF-8, no control bytes) without
    /// making it; the string is never needed unescaped here, only whether it is valid.
    mutating func skipString() throws(OpenIMContentError) {
        index += 1
        while index < bytes.count {
            let runStart = index
            let (end, ascii) = ByteScan.firstSpecialForReading(bytes, from: index)
            index = end
            // Runs between escapes are checked on their own: an escape inside a multi-byte sequence breaks it either way.
            if !ascii, !ByteScan.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[runStart..<end])) { throw error("invalid UTF-8") }
            guard index < bytes.count else { break }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return
            }
            if byte < 0x20 { throw error("control character in string") }
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                continue
            case UInt8(ascii: "u"):
                _ = try parseUnicodeEscape()
            default:
                throw error("invalid escape")
            }
        }
        throw error("unterminated string")
    }

    /// Reads an object's members as `parseObject` does — names checked for duplicates as bytes, after unescaping —
    /// handing each name (unescaped) to `member`, which must read the value.
    mutating func skimObject(
        depth: Int, member: (_ name: UnsafeBufferPointer<UInt8>, _ cursor: inout JSONParser.Cursor) throws(OpenIMContentError) -> Void
    ) throws(OpenIMContentError) {
        index += 1
        // Names as ranges of the input when they have no escapes, unescaped copies when they have.
        var plainNames: [Range<Int>] = []
        var escapedNames: [[UInt8]] = []
        // Past a few names, a hash set: comparing each name with every earlier one is quadratic in the member count.
        var manyNames: Set<[UInt8]>?
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let nameStart = index + 1
            try skipString()
            let raw = nameStart..<(index - 1)
            let isPlain = !bytes[raw].contains(UInt8(ascii: "\\"))
            var unescaped: [UInt8] = []
            if !isPlain {
                index = nameStart - 1
                unescaped = Array(try parseString().utf8)
            }
            let duplicate: Bool
            if let inserted = manyNames?.insert(isPlain ? Array(bytes[raw]) : unescaped).inserted {
                duplicate = !inserted
            } else {
                duplicate = unescaped.withUnsafeBufferPointer { copy -> Bool in
                    let name = isPlain ? UnsafeBufferPointer(rebasing: bytes[raw]) : copy
                    return plainNames.contains { $0.count == name.count && bytes[$0].elementsEqual(name) }
                        || escapedNames.contains { $0.count == name.count && $0.elementsEqual(name) }
                }
                if isPlain { plainNames.append(raw) } else { escapedNames.append(unescaped) }
                if plainNames.count + escapedNames.count > 16 {
                    manyNames = Set(plainNames.map { Array(bytes[$0]) } + escapedNames)
                }
            }
            if duplicate { throw error("duplicate member") }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if isPlain {
                try member(UnsafeBufferPointer(rebasing: bytes[raw]), &self)
            } else {
                let result = unescaped.withUnsafeBufferPointer { name in Result { () throws(OpenIMContentError) in try member(name, &self) } }
                try result.get()
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return }
            throw error("expected ',' or '}'")
        }
    }
}
