import CatalogCore

/// A URL query's parameters, percent-decoded (`+` is a space, as forms send it), each name at most once and every
/// name one the route knows. The byte lane and the router both read a query through this, from the same raw text.
struct QueryParameters {
    private var values: [String: String] = [:]

    /// Parses `raw` (the target after `?`); `allowed` names the parameters the route reads.
    init(_ raw: String, allowed: Set<String>) throws(Problem) {
        var issues: [FieldIssue] = []
        for pair in raw.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let nameBytes = equals.map { pair[pair.startIndex..<$0] } ?? pair[...]
            let valueBytes = equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
            guard let name = Self.decode(nameBytes) else {
                issues.append(FieldIssue(field: "query", message: "has a parameter name that is not percent-encoded UTF-8"))
                continue
            }
            guard allowed.contains(name) else {
                issues.append(FieldIssue(field: Self.printable(name), message: "is not a parameter of this route (it takes \(allowed.sorted().joined(separator: ", ")))"))
                continue
            }
            guard values[name] == nil else {
                issues.append(FieldIssue(field: name, message: "is given more than once"))
                continue
            }
            guard let value = Self.decode(valueBytes) else {
                issues.append(FieldIssue(field: name, message: "is not percent-encoded UTF-8"))
                continue
            }
            values[name] = value
        }
        if !issues.isEmpty { throw Problem.badRequest(issues.map { "\($0.field) \($0.message)" }.joined(separator: "; "), errors: issues) }
    }

    subscript(name: String) -> String? { values[name] }

    /// `name` as a whole number in `range`, `defaultValue` when absent.
    func integer(_ name: String, in range: ClosedRange<Int>, default defaultValue: Int) throws(Problem) -> Int {
        guard let text = values[name] else { return defaultValue }
        guard text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(text), range.contains(number) else {
            throw Problem.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).",
                                     errors: [FieldIssue(field: name, message: "must be an integer from \(range.lowerBound) to \(range.upperBound)")])
        }
        return number
    }

    /// A path segment as the router captured it, percent-decoded (`+` stays a plus); nil when malformed.
    static func pathSegment(_ raw: String) -> String? {
        decode(Substring(raw).utf8, plusIsSpace: false)
    }

    /// Percent-decodes `bytes`; nil for a stray `%` or bytes that are not UTF-8.
    static func decode(_ bytes: Substring.UTF8View.SubSequence, plusIsSpace: Bool = true) -> String? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                let high = bytes.index(after: index)
                guard high < bytes.endIndex else { return nil }
                let low = bytes.index(after: high)
                guard low < bytes.endIndex, let h = hexValue(bytes[high]), let l = hexValue(bytes[low]) else { return nil }
                decoded.append(h << 4 | l)
                index = bytes.index(after: low)
                continue
            }
            decoded.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = bytes.index(after: index)
        }
        return String(validating: decoded, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A name as a problem may quote it: at most 64 characters, control characters dropped.
    static func printable(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(64)))
    }
}
