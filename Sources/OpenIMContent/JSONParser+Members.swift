extension JSONParser {
    /// Checks `bytes` as one JSON object (as strict as `parse`, nesting up to `maximumDepth`) and returns the values
    /// of its top-level members named in `names`; every other value is checked without being built, so a large
    /// document (a Lottie animation) costs no more memory than its bytes.
    public static func topLevelMembers(
        of bytes: UnsafeBufferPointer<UInt8>, named names: Set<String>, maximumDepth: Int
    ) throws(OpenIMContentError) -> [String: JSONValue] {
        var cursor = Cursor(bytes: bytes)
        cursor.depthLimit = maximumDepth
        cursor.skipWhitespace()
        guard cursor.index < bytes.count, bytes[cursor.index] == UInt8(ascii: "{") else { throw cursor.error("expected an object") }
        var found: [String: JSONValue] = [:]
        try cursor.skimObject(depth: 0) { (name: UnsafeBufferPointer<UInt8>, cursor: inout Cursor) throws(OpenIMContentError) in
            let key = String(decoding: name, as: UTF8.self)
            if names.contains(key) {
                found[key] = try cursor.parseValue(depth: 1)
            } else {
                try cursor.skipValue(depth: 1)
            }
        }
        cursor.skipWhitespace()
        guard cursor.index == bytes.count else { throw cursor.error("unexpected data after the document") }
        return found
    }
}
