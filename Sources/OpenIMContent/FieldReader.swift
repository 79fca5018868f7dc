/// Reads typed fields out of a JSON object, naming the full path of any field that is missing or mistyped.
public struct FieldReader: Sendable {
    /// The object's members.
    public let members: [(key: String, value: JSONValue)]
    /// Path of this object from the document root, e.g. `content.sourcePicture`.
    public let path: String

    /// Wraps `value`, which must be an object.
    public init(_ value: JSONValue, path: String) throws(OpenIMContentError) {
        guard case .object(let members) = value else {
            throw .wrongType(field: path.isEmpty ? "document" : path, expected: "an object")
        }
        self.members = members
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw value of `key`, nil when absent or null. Lengths are compared first (most names differ in length);
    /// for our ASCII field names, equal length and String equality is byte equality (the only non-ASCII characters
    /// canonically equivalent to ASCII ones, like the Kelvin sign, are longer in UTF-8).
    public func value(_ key: String) -> JSONValue? {
        let length = key.utf8.count
        for member in members where member.key.utf8.count == length && member.key == key {
            if case .null = member.value { return nil }
            return member.value
        }
        return nil
    }

    /// A required string.
    public func string(_ key: String) throws(OpenIMContentError) -> String {
        guard let value = try optionalString(key) else { throw .missingField(name(key)) }
        return value
    }

    /// A required, non-empty string.
    public func nonEmptyString(_ key: String) throws(OpenIMContentError) -> String {
        let value = try string(key)
        guard !value.isEmpty else { throw .invalidValue(field: name(key), reason: "must not be empty") }
        return value
    }

    /// A string that may be absent or null.
    public func optionalString(_ key: String) throws(OpenIMContentError) -> String? {
        guard let value = value(key) else { return nil }
        return try Self.string(value, field: name(key))
    }

    /// `value` as a string, or the error naming `field`.
    static func string(_ value: JSONValue, field: String) throws(OpenIMContentError) -> String {
        guard case .string(let text) = value else { throw .wrongType(field: field, expected: "a string") }
        return text
    }

    /// A required integer within `range`.
    public func integer(_ key: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(OpenIMContentError) -> Int64 {
        guard let value = try optionalInteger(key, in: range) else { throw .missingField(name(key)) }
        return value
    }

    /// An integer within `range` that may be absent or null.
    public func optionalInteger(_ key: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(OpenIMContentError) -> Int64? {
        guard let value = value(key) else { return nil }
        return try Self.integer(value, field: name(key), in: range)
    }

    /// `value` as an integer within `range`, or the error naming `field`.
    static func integer(_ value: JSONValue, field: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(OpenIMContentError) -> Int64 {
        guard case .integer(let number) = value else { throw .wrongType(field: field, expected: "an integer") }
        guard range.contains(number) else {
            throw .invalidValue(field: field, reason: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return number
    }

    /// A required boolean.
    public func bool(_ key: String) throws(OpenIMContentError) -> Bool {
        guard let value = try optionalBool(key) else { throw .missingField(name(key)) }
        return value
    }

    /// A boolean that may be absent or null.
    public func optionalBool(_ key: String) throws(OpenIMContentError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw .wrongType(field: name(key), expected: "a boolean") }
        return flag
    }

    /// A required nested object.
    public func object(_ key: String) throws(OpenIMContentError) -> FieldReader {
        guard let value = value(key) else { throw .missingField(name(key)) }
        return try FieldReader(value, path: name(key))
    }

    /// A nested object that may be absent or null.
    public func optionalObject(_ key: String) throws(OpenIMContentError) -> FieldReader? {
        guard let value = value(key) else { return nil }
        return try FieldReader(value, path: name(key))
    }

    /// An array of strings that may be absent or null (then empty).
    public func strings(_ key: String) throws(OpenIMContentError) -> [String] {
        guard let value = value(key) else { return [] }
        guard case .array(let elements) = value else { throw .wrongType(field: name(key), expected: "an array of strings") }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let text) = element else { throw .wrongType(field: name(key), expected: "an array of strings") }
            result.append(text)
        }
        return result
    }
}
